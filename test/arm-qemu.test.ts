// Cross-compiles the standalone kernel test for AArch64 and runs it under qemu-user with several
// CPU models (scripts/arm-test.sh). Needs g++-aarch64-linux-gnu and qemu-user-static; set
// ARMML_SKIP_ARM_TEST=1 to skip on machines without them (CI installs them).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, it, expect } from 'vitest';
import { ROOT } from './support/paths.js';

interface CpuRun {
  cpu: string;
  fields: Record<string, string>;
  isa: string[];
  fails: string[];
  summary?: string;
}

function parse(stdout: string): CpuRun[] {
  const runs: CpuRun[] = [];
  let cur: CpuRun | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^== cpu (\S+) ==$/.exec(line);
    if (head) {
      cur = { cpu: head[1], fields: {}, isa: [], fails: [] };
      runs.push(cur);
      continue;
    }
    if (!cur) continue;
    if (line.startsWith('FAIL')) cur.fails.push(line);
    else if (line.startsWith('summary:')) cur.summary = line;
    const kv = /^([a-z_ ]+[a-z0-9_]*): (.*)$/.exec(line);
    if (kv) cur.fields[kv[1]] = kv[2];
  }
  for (const r of runs) r.isa = (r.fields.isa ?? '').split(',').filter(Boolean);
  return runs;
}

describe.skipIf(process.env.ARMML_SKIP_ARM_TEST === '1')('AArch64 kernels under qemu', () => {
  let result: SpawnSyncReturns<string>;
  let runs: CpuRun[] = [];
  beforeAll(() => {
    result = spawnSync('bash', [path.join(ROOT, 'scripts/arm-test.sh')], { encoding: 'utf8', timeout: 110_000 });
    runs = parse(result.stdout ?? '');
  }, 120_000);
  const byCpu = (cpu: string) => {
    const r = runs.find((x) => x.cpu === cpu);
    if (!r) throw new Error(`no run for cpu ${cpu}:\n${result.stdout}\n${result.stderr}`);
    return r;
  };

  it('builds and passes every variant on every CPU model', () => {
    if (result.status !== 0) console.error(result.stdout, result.stderr);
    expect(runs.map((r) => r.cpu)).toEqual(['max', 'neoverse-n1', 'a64fx', 'max,sve-max-vq=2']);
    for (const r of runs) {
      expect(r.fails, `${r.cpu}: ${r.fails.join('\n')}`).toEqual([]);
      expect(r.summary).toMatch(/summary: [1-9]\d* checks, 0 failures/);
    }
    expect(result.status).toBe(0);
  });

  it('names Neoverse-N1 from its MIDR and reports dotprod without SVE', () => {
    const n1 = byCpu('neoverse-n1');
    expect(n1.fields.midr).toBe('0x414fd0c1');
    expect(n1.fields.name).toBe('Neoverse-N1');
    expect(n1.fields.vendor).toBe('Arm');
    expect(n1.isa).toEqual(expect.arrayContaining(['neon', 'dotprod']));
    expect(n1.isa).not.toContain('sve');
    expect(n1.isa).not.toContain('i8mm');
  });

  it('reports SVE but no dot product on A64FX', () => {
    const a64fx = byCpu('a64fx');
    expect(a64fx.fields.name).toBe('A64FX');
    expect(a64fx.fields.vendor).toBe('Fujitsu');
    expect(a64fx.isa).toContain('sve');
    expect(a64fx.isa).not.toContain('dotprod');
  });

  it('reports the newer extensions on -cpu max and selects the NEON kernels', () => {
    const max = byCpu('max');
    expect(max.isa).toEqual(expect.arrayContaining(['neon', 'dotprod', 'i8mm', 'bf16', 'sve', 'sve2']));
    expect(max.fields['selected matmul_f32']).toBe('matmul_f32_8x12_neon_fma');
    expect(max.fields['selected dwconv2d_f32']).toBe('dwconv2d_f32_8x4_neon_fma');
    expect(byCpu('max,sve-max-vq=2').isa).toContain('sve');
  });
});
