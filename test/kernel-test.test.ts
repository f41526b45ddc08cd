// The standalone C++ kernel test on this machine (scripts/kernel-test.sh): every supported variant
// against the reference, and on x86-64 (when qemu-user is installed) the fallback on a CPU without AVX2.
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { ROOT } from './support/paths.js';
import { runScript } from './support/run-script.js';

describe('native kernel test (no Node)', () => {
  it('passes every supported variant, and falls back to portable kernels without AVX2', async () => {
    const r = await runScript(path.join(ROOT, 'scripts/kernel-test.sh'), 300_000);
    const sections = r.stdout.split(/^== cpu (\S+) ==$/m).slice(1);
    const byCpu = new Map<string, string>();
    for (let i = 0; i < sections.length; i += 2) byCpu.set(sections[i], sections[i + 1]);
    const native = byCpu.get('native');
    expect(native, r.stderr).toBeDefined();
    expect(native).toMatch(/summary: [1-9]\d* checks, 0 failures/);
    expect(native).not.toMatch(/^FAIL/m);
    const westmere = byCpu.get('Westmere');
    if (westmere !== undefined) {
      expect(westmere).toMatch(/selected matmul_f32: matmul_f32_4x8_portable/);
      expect(westmere).toMatch(/SKIP matmul_f32_6x16_avx2_fma/);
      expect(westmere).toMatch(/summary: [1-9]\d* checks, 0 failures/);
    }
    expect(r.status).toBe(0);
  }, 310_000);
});
