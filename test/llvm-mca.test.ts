// The AArch64 GEMM micro-kernels' inner loops as the addon compiles them (aarch64-linux-gnu-g++
// -O3), checked statically with llvm-mca-19 (bench/llvm-mca.ts): every accumulator stays in a
// register (no stack access in the loop: GCC once stored all 24 NEON accumulators on every depth
// step) and the loop is FMA-bound on each core's own scheduling model. Needs
// g++-aarch64-linux-gnu and llvm-19 (apt; CI installs both).
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, CORES, KERNELS, type Row } from '../bench/llvm-mca.js';

const kernel = (name: string) => KERNELS.find((k) => k.name === name)!;

describe('AArch64 kernel inner loops (llvm-mca)', () => {
  let rows: Row[] = [];
  beforeAll(() => {
    rows = analyze([kernel('matmul_f32_8x12_neon_fma'), kernel('matmul_f32_8x2vl_sve')]);
  });
  const row = (name: string, cpu: string) => {
    const r = rows.find((x) => x.kernel === name && x.core.cpu === cpu);
    if (!r) throw new Error(`no estimate for ${name} on ${cpu}`);
    return r;
  };

  it('analyses both GEMM micro-kernels on every core with that core\'s own model', () => {
    // SVE has no N1 row (no SVE there); NEON runs on all three.
    expect(rows.map((r) => `${r.kernel}@${r.core.cpu}`)).toEqual([
      'matmul_f32_8x12_neon_fma@neoverse-n1',
      'matmul_f32_8x12_neon_fma@neoverse-v1',
      'matmul_f32_8x12_neon_fma@neoverse-v2',
      'matmul_f32_8x2vl_sve@neoverse-v1',
      'matmul_f32_8x2vl_sve@neoverse-v2',
    ]);
    for (const r of rows) {
      expect(r.mca.prefix, `${r.kernel} on ${r.core.cpu}`).toBe(r.core.prefix);
      expect(r.mca.warnings.join('\n')).not.toMatch(/not a recognized processor/);
    }
  });

  it('keeps the 8x12 NEON tile in registers: 24 FMLA, no stack access, FMA-bound', () => {
    const n1 = row('matmul_f32_8x12_neon_fma', 'neoverse-n1');
    expect(n1.block.fma).toBe(24);
    expect(n1.block.stack).toBe(0);
    expect(n1.block.instrs.filter((i) => /^(ld|st)/.test(i)).every((i) => /^ld/.test(i))).toBe(true);
    expect(n1.mca.rthroughput).toBe(12); // 24 FMLA on two 128-bit pipes
    for (const cpu of CORES.map((c) => c.cpu)) expect(row('matmul_f32_8x12_neon_fma', cpu).peakPct).toBeGreaterThan(90);
  });

  it('keeps the 8x2vl SVE tile in registers: 16 FMLA (indexed), no predication or stack, FMA-bound', () => {
    const v1 = row('matmul_f32_8x2vl_sve', 'neoverse-v1');
    expect(v1.block.fma).toBe(16);
    expect(v1.block.stack).toBe(0);
    expect(v1.block.instrs.filter((i) => /^fmla\tz\d+\.s, z\d+\.s, z\d+\.s\[\d\]$/.test(i))).toHaveLength(16);
    expect(v1.block.instrs.filter((i) => /^ld1rqw/.test(i))).toHaveLength(2);
    expect(v1.block.instrs.some((i) => /^(whilelo|ptrue|st1)/.test(i))).toBe(false);
    expect(v1.lanes).toBe(8); // the V1 model's 256-bit vectors
    expect(v1.mca.rthroughput).toBe(8); // 16 FMLA on two 256-bit pipes
    expect(row('matmul_f32_8x2vl_sve', 'neoverse-v2').peakPct).toBeGreaterThan(90);
    expect(v1.peakPct).toBeGreaterThan(90);
  });
});
