// diffProfiles on small hand-made profiles: the gate rule (median past the threshold AND p10–p90
// ranges apart), op matching by node, and the summary the CLI turns into exit codes.
import { describe, expect, it } from 'vitest';
import type { ModeRun, OpRow, ProfileDoc } from '../engine/profile.js';
import { diffProfiles, type ProfileDiff } from '../common/diff.js';
import { diffReport, diffWarnings } from '../cli/format.js';

interface Latency {
  median: number;
  p10: number;
  p90: number;
}

function op(node: string, ms: number, kernel = 'matmul_f32_8x12_neon_fma', extra: Partial<OpRow> = {}): OpRow {
  return {
    node,
    op: 'MatMul',
    kernel,
    isa: 'neon',
    calls: 1,
    ms,
    share: 0,
    flops: 1e6,
    bytes: 1e5,
    gflops: 1e6 / (ms * 1e6),
    shapes: [[1, 64]],
    ...extra,
  };
}

function run(mode: string, latency: Latency, ops: OpRow[] = [op('fc', latency.median)], extra: Partial<ModeRun> = {}): ModeRun {
  return {
    mode: mode as ModeRun['mode'],
    threads: 4,
    latency_ms: { n: 20, min: latency.p10, ...latency },
    outputs_ok: true,
    max_abs_err: 1e-6,
    checked_against: 'reference',
    ops,
    timeline: [],
    ...extra,
  };
}

function profile(
  runs: ModeRun[],
  extra: { model?: Partial<ProfileDoc['model']>; target?: Partial<ProfileDoc['target']> } = {},
): ProfileDoc {
  return {
    schema: 'armml.profile/1',
    tool: { name: 'armml', version: 't' },
    created: '2026-01-02T03:04:05.000Z',
    target: {
      host: 'ci',
      os: 'Linux',
      arch: 'arm64',
      cpu: { name: 'Neoverse-V1' },
      isa: ['neon', 'dotprod', 'i8mm'],
      threads: 4,
      ...extra.target,
    },
    model: { path: '/m/model.onnx', name: 'model', sha256: 'ab12', nodes: 3, params: 0, flops: 0, opsets: {}, ...extra.model },
    settings: { warmup: 2, iters: 20, inputs: 'synthetic' },
    runs,
  };
}

const steady = { median: 10, p10: 9.8, p90: 10.2 };
const diff = (a: ModeRun[], b: ModeRun[], thresholdPct = 5): ProfileDiff => diffProfiles(profile(a), profile(b), { thresholdPct });

describe('mode verdicts', () => {
  it('calls a clear regression slower and lists it in the summary', () => {
    const d = diff([run('eager', steady)], [run('eager', { median: 13, p10: 12.6, p90: 13.5 })]);
    const [eager] = d.modes;
    expect(eager.verdict).toBe('slower');
    expect(eager.ratio).toBeCloseTo(1.3, 10);
    expect(eager.change_pct).toBeCloseTo(30, 10);
    expect([eager.a.median, eager.b.median, eager.b.p10, eager.b.p90]).toEqual([10, 13, 12.6, 13.5]);
    expect(d.summary.regressions).toEqual(['eager']);
  });

  it('calls an 8% change inside overlapping p10–p90 ranges the same: run-to-run noise must not fire the gate', () => {
    const d = diff([run('eager', { median: 10, p10: 9, p90: 11.5 })], [run('eager', { median: 10.8, p10: 9.8, p90: 12 })]);
    expect(d.modes[0].change_pct).toBeCloseTo(8, 10);
    expect(d.modes[0].verdict).toBe('same');
    expect(d.summary.regressions).toEqual([]);
  });

  it('needs the median past the threshold too, not only ranges apart', () => {
    const a = [run('eager', steady)];
    const b = [run('eager', { median: 10.3, p10: 10.25, p90: 10.35 })];
    expect(diff(a, b, 5).modes[0].verdict).toBe('same');
    expect(diff(a, b, 2).modes[0].verdict).toBe('slower');
  });

  it('calls a clear speed-up faster', () => {
    const d = diff([run('eager', steady)], [run('eager', { median: 7, p10: 6.8, p90: 7.3 })]);
    expect(d.modes[0].verdict).toBe('faster');
    expect(d.modes[0].change_pct).toBeCloseTo(-30, 10);
    expect(d.summary.regressions).toEqual([]);
  });

  it('never calls a mode faster when its B outputs are wrong, and reports the breakage', () => {
    const d = diff(
      [run('eager', steady), run('baseline', steady)],
      [run('eager', { median: 7, p10: 6.8, p90: 7.3 }, undefined, { outputs_ok: false }), run('baseline', steady)],
    );
    const eager = d.modes.find((m) => m.mode === 'eager')!;
    expect(eager.verdict).toBe('same');
    expect([eager.a.outputs_ok, eager.b.outputs_ok]).toEqual([true, false]);
    expect(d.summary.outputs_broken).toEqual(['eager']);
  });

  it('does not count outputs that were already wrong in A as broken by B', () => {
    const d = diff([run('eager', steady, undefined, { outputs_ok: false })], [run('eager', steady, undefined, { outputs_ok: false })]);
    expect(d.summary.outputs_broken).toEqual([]);
  });

  it('notes when the two runs used different thread counts', () => {
    const d = diff([run('eager', steady, undefined, { threads: 4 })], [run('eager', steady, undefined, { threads: 8 })]);
    expect(d.modes[0].threads_differ).toBe(true);
    expect([d.modes[0].a.threads, d.modes[0].b.threads]).toEqual([4, 8]);
    expect(diff([run('eager', steady)], [run('eager', steady)]).modes[0].threads_differ).toBe(false);
  });
});

describe('matching', () => {
  it('matches modes by name and lists the ones only one side has', () => {
    const d = diff([run('baseline', steady), run('eager', steady)], [run('eager', steady), run('graph', steady)]);
    expect(d.modes.map((m) => m.mode)).toEqual(['eager']);
    expect(d.modes_only_in_a).toEqual(['baseline']);
    expect(d.modes_only_in_b).toEqual(['graph']);
    expect([d.a.modes, d.b.modes]).toEqual([
      ['baseline', 'eager'],
      ['eager', 'graph'],
    ]);
  });

  it('compares only the requested mode', () => {
    const a = profile([run('baseline', steady), run('eager', steady)]);
    const b = profile([run('baseline', { median: 20, p10: 19, p90: 21 }), run('eager', steady)]);
    const d = diffProfiles(a, b, { thresholdPct: 5, mode: 'eager' });
    expect(d.modes.map((m) => m.mode)).toEqual(['eager']);
    expect(d.summary.regressions).toEqual([]);
    expect(diffProfiles(a, b, { thresholdPct: 5, mode: 'int8' }).modes).toEqual([]);
  });

  it('matches ops by node, sorts by |delta| and lists ops that only one side ran', () => {
    const a = [run('eager', steady, [op('conv', 4), op('relu', 0.5), op('fc', 3), op('add', 0.2)])];
    const b = [run('eager', steady, [op('conv', 4.5), op('fc', 1), op('add', 0.2), op('gelu', 0.7), op('bias', 0.1)])];
    const [eager] = diff(a, b).modes;
    expect(eager.ops.map((o) => [o.node, o.a_ms, o.b_ms, o.delta_ms])).toEqual([
      ['fc', 3, 1, -2],
      ['conv', 4, 4.5, 0.5],
      ['add', 0.2, 0.2, 0],
    ]);
    expect(eager.ops[0].ratio).toBeCloseTo(1 / 3, 10);
    expect(eager.only_in_a.map((o) => o.node)).toEqual(['relu']);
    expect(eager.only_in_b.map((o) => [o.node, o.ms])).toEqual([
      ['gelu', 0.7],
      ['bias', 0.1],
    ]);
  });

  it('keeps nodes of different subgraphs apart even when they share a name', () => {
    const a = [run('eager', steady, [op('mm', 1), op('mm', 2, undefined, { scope: 'loop' })])];
    const b = [run('eager', steady, [op('mm', 1), op('mm', 5, undefined, { scope: 'loop' })])];
    const [eager] = diff(a, b).modes;
    expect(eager.ops.map((o) => [o.scope ?? '', o.delta_ms])).toEqual([
      ['loop', 3],
      ['', 0],
    ]);
  });

  it('shows which kernel each side ran when it changed', () => {
    const a = [run('eager', steady, [op('fc', 3, 'matmul_f32_8x12_neon_fma')])];
    const b = [run('eager', steady, [op('fc', 1, 'matmul_qai8dxp_qsi4cxp_4x8x32_i8mm')])];
    const [o] = diff(a, b).modes[0].ops;
    expect([o.kernel_a, o.kernel_b]).toEqual(['matmul_f32_8x12_neon_fma', 'matmul_qai8dxp_qsi4cxp_4x8x32_i8mm']);
    expect(diffReport(diff(a, b), 15, { a: 'a.json', b: 'b.json' })).toContain(
      'matmul_f32_8x12_neon_fma → matmul_qai8dxp_qsi4cxp_4x8x32_i8mm',
    );
  });
});

describe('models and machines', () => {
  const runs = [run('eager', steady)];

  it('compares models by sha256 when both have one, else by name', () => {
    const differ = (a: Partial<ProfileDoc['model']>, b: Partial<ProfileDoc['model']>) =>
      diffProfiles(profile(runs, { model: a }), profile(runs, { model: b }), { thresholdPct: 5 }).summary.models_differ;
    expect(differ({ sha256: 'aa', name: 'x' }, { sha256: 'aa', name: 'renamed' })).toBe(false);
    expect(differ({ sha256: 'aa', name: 'x' }, { sha256: 'bb', name: 'x' })).toBe(true);
    expect(differ({ sha256: '', name: 'x' }, { sha256: 'bb', name: 'x' })).toBe(false);
    expect(differ({ sha256: '', name: 'x' }, { sha256: 'bb', name: 'y' })).toBe(true);
  });

  it('flags different CPUs or ISA features, and warns about both differences', () => {
    const a = profile(runs);
    const b = profile(runs, { target: { cpu: { name: 'AMD EPYC' }, isa: ['avx2', 'fma'] }, model: { sha256: 'cd34' } });
    const d = diffProfiles(a, b, { thresholdPct: 5 });
    expect(d.summary.targets_differ).toBe(true);
    expect(d.b.target).toEqual({ host: 'ci', cpu: 'AMD EPYC', isa: ['avx2', 'fma'] });
    const warnings = diffWarnings(d).join('\n');
    expect(warnings).toMatch(/different models/);
    expect(warnings).toMatch(/different machines.*Neoverse-V1.*AMD EPYC/);
    const sameIsaReordered = profile(runs, { target: { isa: ['i8mm', 'neon', 'dotprod'] } });
    expect(diffProfiles(a, sameIsaReordered, { thresholdPct: 5 }).summary.targets_differ).toBe(false);
    expect(diffWarnings(diffProfiles(a, a, { thresholdPct: 5 }))).toEqual([]);
  });
});
