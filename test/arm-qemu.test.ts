// Cross-compiles the standalone kernel test for AArch64 and runs it under qemu-user with several
// CPU models (scripts/arm-test.sh): without SVE, and with SVE at 128, 256 and 512 bits. Needs
// g++-aarch64-linux-gnu and qemu-user-static; set ARMML_SKIP_ARM_TEST=1 to skip on machines
// without them (CI installs them).
import path from 'node:path';
import { beforeAll, describe, it, expect } from 'vitest';
import { ROOT } from './support/paths.js';
import { runScript, type ScriptResult } from './support/run-script.js';

interface CpuRun {
  cpu: string;
  fields: Record<string, string>;
  isa: string[];
  fails: string[];
  skips: string[];
  passes: string[];
  summary?: string;
}

function parse(stdout: string): CpuRun[] {
  const runs: CpuRun[] = [];
  let cur: CpuRun | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^== cpu (\S+) ==$/.exec(line);
    if (head) {
      cur = { cpu: head[1], fields: {}, isa: [], fails: [], skips: [], passes: [] };
      runs.push(cur);
      continue;
    }
    if (!cur) continue;
    if (line.startsWith('FAIL')) cur.fails.push(line);
    else if (line.startsWith('SKIP ')) cur.skips.push(line.split(' ')[1]);
    else if (line.startsWith('PASS ')) cur.passes.push(line.split(' ')[1]);
    else if (line.startsWith('summary:')) cur.summary = line;
    const kv = /^([a-z_ ]+[a-z0-9_]*): (.*)$/.exec(line);
    if (kv) cur.fields[kv[1]] = kv[2];
  }
  for (const r of runs) r.isa = (r.fields.isa ?? '').split(',').filter(Boolean);
  return runs;
}

describe.skipIf(process.env.ARMML_SKIP_ARM_TEST === '1')('AArch64 kernels under qemu', () => {
  let result: ScriptResult;
  let runs: CpuRun[] = [];
  beforeAll(async () => {
    // SVE is emulated instruction by instruction: five SVE runs plus a fresh build take minutes
    // on a loaded 2-core machine.
    result = await runScript(path.join(ROOT, 'scripts/arm-test.sh'), 590_000);
    runs = parse(result.stdout);
  }, 600_000);
  const byCpu = (cpu: string) => {
    const r = runs.find((x) => x.cpu === cpu);
    if (!r) throw new Error(`no run for cpu ${cpu}:\n${result.stdout}\n${result.stderr}`);
    return r;
  };

  it('builds and passes every variant on every CPU model', () => {
    if (result.status !== 0) console.error(result.stdout, result.stderr);
    expect(runs.map((r) => r.cpu)).toEqual(['max', 'neoverse-n1', 'a64fx', 'max,sve-max-vq=1', 'max,sve-max-vq=2', 'max,sve-max-vq=4']);
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
    // The SVE kernels are skipped, never run (no SIGILL), and NEON is chosen.
    expect(n1.skips).toEqual(expect.arrayContaining(['matmul_f32_8x2vl_sve', 'peak_f32_20x1vl_sve']));
    expect(n1.passes).not.toContain('matmul_f32_8x2vl_sve');
    expect(n1.fields['selected matmul_f32']).toBe('matmul_f32_8x12_neon_fma');
    expect(n1.fields['selected peak_f32']).toBe('peak_f32_16x4_neon_fma');
  });

  it('reports SVE but no dot product on A64FX', () => {
    const a64fx = byCpu('a64fx');
    expect(a64fx.fields.name).toBe('A64FX');
    expect(a64fx.fields.vendor).toBe('Fujitsu');
    expect(a64fx.isa).toContain('sve');
    expect(a64fx.isa).not.toContain('dotprod');
  });

  it('reports the newer extensions on -cpu max and selects the SVE GEMM there', () => {
    const max = byCpu('max');
    expect(max.isa).toEqual(expect.arrayContaining(['neon', 'dotprod', 'i8mm', 'bf16', 'sve', 'sve2']));
    expect(max.fields['selected matmul_f32']).toBe('matmul_f32_8x2vl_sve');
    expect(max.fields['selected peak_f32']).toBe('peak_f32_20x1vl_sve');
    expect(max.fields['selected dwconv2d_f32']).toBe('dwconv2d_f32_8x4_neon_fma');
  });

  it('runs the vector-length agnostic SVE GEMM at 128, 256 and 512 bits with the same results', () => {
    const widths: Record<string, string> = {
      max: '8x32', a64fx: '8x32', 'max,sve-max-vq=1': '8x8', 'max,sve-max-vq=2': '8x16', 'max,sve-max-vq=4': '8x32',
    };
    const digests = new Set<string>();
    for (const [cpu, tile] of Object.entries(widths)) {
      const r = byCpu(cpu);
      expect(r.isa, cpu).toContain('sve');
      expect(r.fields['selected matmul_f32'], cpu).toBe('matmul_f32_8x2vl_sve');
      expect(r.fields['tile matmul_f32_8x2vl_sve'], cpu).toBe(tile);
      expect(r.passes, cpu).toEqual(expect.arrayContaining(['matmul_f32_8x2vl_sve', 'peak_f32_20x1vl_sve']));
      // One depth block, fused epilogues: bit for bit the NEON kernel's output at every length.
      expect(r.fields['digest matmul_f32_8x2vl_sve'], cpu).toMatch(/^[0-9a-f]{16}$/);
      expect(r.fields['digest matmul_f32_8x2vl_sve'], cpu).toBe(r.fields['digest matmul_f32_8x12_neon_fma']);
      digests.add(r.fields['digest matmul_f32_8x2vl_sve']);
    }
    expect(digests.size).toBe(1);
  });
});
