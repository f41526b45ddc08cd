// View models of profile documents, checked against hand-computed numbers of two fixtures:
// tiny-cnn (made by hand: baseline/eager/graph on a Graviton-like target with measured peaks) and
// mnist-8 (a real `armml profile` run on x86-64, no peaks).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProfileDoc } from '../engine/profile.js';
import { formatGflops, formatMs, formatShapes, formatShare, formatSpeedup } from '../common/format.js';
import {
  defaultRunIndex,
  filterRows,
  kernelFamily,
  normalizeIsa,
  opTableRows,
  profileLabels,
  rooflineView,
  sortRows,
  speedupsView,
  stackView,
  timelineView,
} from '../common/viewmodel.js';

const FIXTURES = path.join(__dirname, 'fixtures/profile');
const load = (name: string): ProfileDoc => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
const tiny = () => load('tiny-cnn.profile.json');
const mnist = () => load('mnist-8.profile.json');
const round = (v: number | undefined, d = 4) => (v === undefined ? undefined : Number(v.toFixed(d)));

describe('kernel classification', () => {
  it('sorts kernel names into families', () => {
    expect(kernelFamily('matmul_f32_6x16_avx2_fma')).toBe('ACL-style fp32');
    expect(kernelFamily('conv2d_f32_im2col+matmul_f32_8x12_neon_fma')).toBe('ACL-style fp32');
    expect(kernelFamily('dwconv2d_f32_3x3_neon')).toBe('ACL-style fp32');
    expect(kernelFamily('matmul_qai8dxp_qsi4cxp_4x8x32_i8mm')).toBe('KleidiAI-style quantized');
    expect(kernelFamily('ts_add_float32')).toBe('reference');
    expect(kernelFamily('conv2d_f32_1x1_scalar_ref')).toBe('reference');
    // A reference quantized kernel is still the plain path.
    expect(kernelFamily('matmul_qai8dxp_qsi4cxp_1x1_scalar_ref')).toBe('reference');
    expect(kernelFamily('binary_f32_1x8_avx2_fma')).toBe('other native kernels');
    expect(kernelFamily('softmax_lastaxis')).toBe('TypeScript ops');
  });

  it("takes the family from the variant table where the profile recorded it, whatever the name's spelling", () => {
    // The native pooling kernel's name has no ISA suffix: by spelling alone it looks like a TypeScript op.
    expect(kernelFamily('pool2d_f32_1x1_portable')).toBe('TypeScript ops');
    expect(kernelFamily('pool2d_f32_1x1_portable', 'pool2d_f32')).toBe('other native kernels');
    expect(kernelFamily('conv2d_f32_im2col+matmul_f32_4x8_portable', 'matmul_f32')).toBe('ACL-style fp32');
    expect(kernelFamily('gemv_f32_1x8_portable', 'gemv_f32')).toBe('ACL-style fp32');
    expect(kernelFamily('matmul_qai8dxp_qsi4c32p_4x16_portable', 'matmul_qai8dxp_qsi4c32p')).toBe('KleidiAI-style quantized');
    expect(kernelFamily('conv2d_f32_1x1_scalar_ref', 'conv2d_f32')).toBe('reference');
  });

  it('spells ISA labels one way', () => {
    expect(normalizeIsa('avx2_fma')).toBe('avx2+fma');
    expect(normalizeIsa('AVX2+FMA')).toBe('avx2+fma');
    expect(normalizeIsa('')).toBe('scalar');
    expect(normalizeIsa('i8mm')).toBe('i8mm');
  });
});

describe('formatting', () => {
  it('formats measured numbers the way the views show them', () => {
    expect(formatMs(1.2)).toBe('1.20 ms');
    expect(formatMs(12.345)).toBe('12.3 ms');
    expect(formatMs(0.25)).toBe('0.250 ms');
    expect(formatMs(0.0004)).toBe('0.40 µs');
    expect(formatShare(0.4435)).toBe('44.4%');
    expect(formatSpeedup(2.7199)).toBe('2.72x');
    expect(formatSpeedup(0)).toBe('–');
    expect(formatGflops(7.84)).toBe('7.8');
    expect(formatGflops(0)).toBe('–');
    expect(formatShapes([[1, 3, 32, 32], null, []])).toBe('1x3x32x32, -, scalar');
  });
});

describe('software stack', () => {
  it('splits the eager run into dispatcher overhead, kernel families and ISAs', () => {
    const doc = tiny();
    expect(defaultRunIndex(doc)).toBe(1);
    const view = stackView(doc);
    expect(view).toMatchObject({ mode: 'eager', threads: 4, latencyMs: 2.5, totalMs: 2.5 });
    expect(round(view.opMs)).toBe(2.25);
    const layer = (id: string) => view.layers.find((l) => l.id === id)!.blocks.map((b) => [b.label, round(b.ms), round(b.share)]);
    expect(layer('model')).toEqual([['tiny-cnn', 2.5, 1]]);
    expect(layer('passes')).toEqual([['eager: none', 0, 0]]);
    expect(layer('dispatcher')).toEqual([['eager dispatcher · node by node', 0.25, 0.1]]);
    expect(layer('families')).toEqual([
      ['ACL-style fp32', 1.2, 0.48],
      ['other native kernels', 0.5, 0.2],
      ['reference', 0.3, 0.12],
      ['KleidiAI-style quantized', 0.25, 0.1],
    ]);
    expect(layer('isa')).toEqual([
      ['neon', 1.7, 0.68],
      ['scalar', 0.3, 0.12],
      ['i8mm', 0.25, 0.1],
    ]);
    const neon = view.layers.find((l) => l.id === 'isa')!.blocks[0];
    expect(neon.facet).toEqual({ kind: 'isa', value: 'neon' });
    expect(neon.kernels).toEqual(['conv2d_f32_im2col+matmul_f32_8x12_neon_fma', 'unary_f32_1x4_neon']);
  });

  it('lists graph passes when the run has them', () => {
    const view = stackView(tiny(), 2);
    // Passes that were turned off are not shown; compile time is no share of the run.
    expect(view.layers.find((l) => l.id === 'passes')!.blocks.map((b) => `${b.label}: ${b.detail} (${b.share})`)).toEqual([
      'epilogue-fusion: 2 changes · 5 -> 3 nodes · compiled in 1.5 ms (0)',
    ]);
    expect(view.layers.find((l) => l.id === 'dispatcher')!.blocks[0].label).toBe('compiled graph · fused nodes, eager kernels');
  });

  it('scales shares by op time when ops add up to more than the median latency', () => {
    const doc = tiny();
    doc.runs[1].latency_ms.median = 2;
    const view = stackView(doc, 1);
    expect(round(view.totalMs)).toBe(2.25);
    expect(view.layers.find((l) => l.id === 'dispatcher')!.blocks[0].ms).toBe(0);
    const sum = view.layers.find((l) => l.id === 'families')!.blocks.reduce((a, b) => a + b.share, 0);
    expect(sum).toBeCloseTo(1, 9);
  });
});

describe('speedups', () => {
  it('compares every mode with baseline, per model and per top op, across profiles', () => {
    const view = speedupsView([mnist(), tiny()], 3);
    expect(view.modes).toEqual(['eager', 'graph']);
    const [m, t] = view.profiles;
    expect(m.label).toBe('mnist-8 · vm · 2 threads');
    expect(formatSpeedup(m.modes[0].speedup!)).toBe('2.72x');
    expect(t.label).toBe('tiny-cnn · graviton3 · 4 threads');
    expect(t.baselineMs).toBe(10);
    expect(t.modes.map((x) => [x.mode, round(x.speedup), x.medianMs])).toEqual([
      ['eager', 4, 2.5],
      ['graph', 8, 1.25],
    ]);
    expect(t.topOps.map((o) => [o.node, o.baselineMs, o.modes.map((x) => `${x.mode} ${formatSpeedup(x.speedup!)}`)])).toEqual([
      ['conv1', 6, ['eager 5.00x', 'graph 6.00x']],
      ['fc', 2, ['eager 8.00x', 'graph 10.00x']],
      // relu is fused into conv1 in graph mode, so only eager has it.
      ['relu', 1, ['eager 2.00x']],
    ]);
  });

  it('has no ratios without a baseline run, and tells same-named profiles apart', () => {
    const doc = tiny();
    doc.runs = doc.runs.filter((r) => r.mode !== 'baseline');
    const view = speedupsView([doc, tiny()]);
    expect(view.profiles[0].baselineMs).toBeUndefined();
    expect(view.profiles[0].modes.every((x) => x.speedup === undefined)).toBe(true);
    expect(view.profiles[0].topOps).toEqual([]);
    expect(profileLabels([tiny(), tiny()])).toEqual(['tiny-cnn · graviton3 · 4 threads', 'tiny-cnn · graviton3 · 4 threads (2)']);
  });
});

describe('op table rows', () => {
  const rows = () => opTableRows(tiny().runs[1]);

  it('flattens ops with family, ISA and shapes text', () => {
    const r = rows();
    expect(r.map((x) => x.node)).toEqual(['conv1', 'relu', 'add', 'fc']);
    expect(r[0]).toMatchObject({ op: 'Conv', isa: 'neon', family: 'ACL-style fp32', calls: 1, ms: 1.2, shapes: '1x3x32x32, 16x3x3x3, 16' });
    expect(round(r[0].gflops)).toBe(5);
  });

  it('filters by text and by facet', () => {
    expect(filterRows(rows(), 'NEON').map((x) => x.node)).toEqual(['conv1', 'relu']);
    expect(filterRows(rows(), '1x1024').map((x) => x.node)).toEqual(['fc']);
    expect(filterRows(rows(), '', { kind: 'family', value: 'reference' }).map((x) => x.node)).toEqual(['add']);
    expect(filterRows(rows(), 'conv', { kind: 'isa', value: 'i8mm' })).toEqual([]);
  });

  it('sorts by numbers and by text, both ways, stably', () => {
    expect(sortRows(rows(), 'ms', 'asc').map((x) => x.node)).toEqual(['fc', 'add', 'relu', 'conv1']);
    expect(sortRows(rows(), 'op', 'asc').map((x) => x.op)).toEqual(['Add', 'Conv', 'MatMul', 'Relu']);
    expect(sortRows(rows(), 'gflops', 'desc').map((x) => x.node)).toEqual(['fc', 'conv1', 'add', 'relu']);
    // All calls are 1: ties keep the incoming order.
    expect(sortRows(rows(), 'calls', 'desc').map((x) => x.node)).toEqual(['conv1', 'relu', 'add', 'fc']);
  });
});

describe('timeline', () => {
  it('lays out one iteration, a lane per subgraph scope', () => {
    const doc = tiny();
    const view = timelineView(doc);
    expect(view.lanes).toEqual(['graph']);
    expect(round(view.totalMs)).toBe(2.45);
    expect(view.bars.map((b) => [b.node, round(b.start), b.dur, b.family])).toEqual([
      ['conv1', 0.05, 1.2, 'ACL-style fp32'],
      ['relu', 1.3, 0.5, 'other native kernels'],
      ['fc', 1.85, 0.25, 'KleidiAI-style quantized'],
      ['add', 2.15, 0.3, 'reference'],
    ]);
    doc.runs[1].timeline.push({ node: 'body_add', op: 'Add', kernel: 'ts_add_float32', scope: 'loop0', start_ms: 2.5, dur_ms: 0.5 });
    const nested = timelineView(doc, 1);
    expect(nested.lanes).toEqual(['graph', 'loop0']);
    expect(nested.bars[4].lane).toBe(1);
    expect(nested.totalMs).toBe(3);
  });
});

describe('roofline', () => {
  it('places ops by intensity and achieved GFLOP/s under measured roofs', () => {
    const view = rooflineView(tiny());
    expect(view.points.map((p) => [p.node, round(p.intensity), round(p.gflops)])).toEqual([
      ['conv1', 5, 5],
      ['relu', 0.125, 0.2],
      ['add', 0.0833, 0.3333],
      ['fc', 5, 8],
    ]);
    expect(view).toMatchObject({ peakGflops: 200, peakGbps: 50, ridge: 4, roofsMeasured: true, skipped: 0 });
    expect(view.note).toContain('200.0 GFLOP/s and 50.0 GB/s');
    // The plot spans the points and the roofs with a factor-2 margin.
    expect(view.x.map((v) => round(v))).toEqual([0.0417, 10]);
    expect(view.y.map((v) => round(v))).toEqual([0.1, 400]);
  });

  it('still plots points when the roofs were not measured', () => {
    const doc = mnist();
    const view = rooflineView(doc);
    expect(view.roofsMeasured).toBe(false);
    expect(view.peakGflops).toBeUndefined();
    expect(view.note).toMatch(/not measured/);
    // Reshape views do no arithmetic and are left out.
    const run = doc.runs[defaultRunIndex(doc)];
    expect(view.skipped).toBe(run.ops.filter((o) => !(o.flops > 0 && o.bytes > 0 && o.ms > 0)).length);
    expect(view.skipped).toBeGreaterThan(0);
    expect(view.points.length + view.skipped).toBe(run.ops.length);
    const conv = view.points.find((p) => p.node === 'Convolution110')!;
    const row = run.ops.find((o) => o.node === 'Convolution110')!;
    expect(conv.intensity).toBeCloseTo(row.flops / row.bytes, 9);
    expect(conv.gflops).toBeCloseTo(row.gflops, 9);
  });

  it('draws only the roof that was measured', () => {
    const doc = tiny();
    (doc.target as { peak?: object }).peak = { gbps: 40 };
    const view = rooflineView(doc);
    expect(view).toMatchObject({ roofsMeasured: true, peakGbps: 40 });
    expect(view.ridge).toBeUndefined();
    expect(view.note).toBe('The compute (GFLOP/s) roof was not measured; only the measured roof is drawn.');
  });
});
