import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { ROOT } from './support/paths.js';

const script = path.join(ROOT, 'scripts/check-kernel-names.mjs');

describe('kernel naming grammar', () => {
  it('every kernel file and variant table entry follows the grammar', () => {
    const out = execFileSync(process.execPath, [script], { encoding: 'utf8' });
    expect(out).toMatch(/kernel names ok: \d+ files, \d+ table entries/);
  });

  it.each([
    ['fastgemm_avx2', "'fastgemm_avx2' does not match"],
    // Tiles in vector lengths are for scalable ISAs only.
    ['matmul_f32_8x2vl_neon', "'matmul_f32_8x2vl_neon' sizes its tile in vector lengths (vl) but 'neon' has fixed-length vectors"],
  ])('rejects a badly named kernel file (%s)', (bad, message) => {
    // A copy of the tree layout with one wrongly named file: the checker must fail on it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armml-names-'));
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.mkdirSync(path.join(dir, 'native/kernels'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'native/src'), { recursive: true });
    fs.copyFileSync(script, path.join(dir, 'scripts/check-kernel-names.mjs'));
    fs.copyFileSync(path.join(ROOT, 'native/src/variants.cc'), path.join(dir, 'native/src/variants.cc'));
    for (const f of fs.readdirSync(path.join(ROOT, 'native/kernels'))) {
      fs.copyFileSync(path.join(ROOT, 'native/kernels', f), path.join(dir, 'native/kernels', f));
    }
    fs.writeFileSync(path.join(dir, `native/kernels/${bad}.cc`), '');
    const r = spawnSync(process.execPath, [path.join(dir, 'scripts/check-kernel-names.mjs')], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
  });
});
