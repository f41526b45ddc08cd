import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeHotspots, modulePathOf, type HotspotReport } from '../common/hotspots.js';
import type { OpRow, ProfileDoc } from '../engine/profile.js';

const FIXTURES = path.join(__dirname, 'fixtures/hotspots');
const file = (name: string) => ({ path: `/ws/models/${name}`, text: fs.readFileSync(path.join(FIXTURES, name), 'utf8') });

function profile(rows: { node: string; op: string; ms: number; kernel?: string; source?: string }[], mode = 'eager'): ProfileDoc {
  const total = rows.reduce((a, r) => a + r.ms, 0);
  const ops: OpRow[] = rows.map((r) => ({
    node: r.node,
    op: r.op,
    kernel: r.kernel ?? 'ts_elementwise_f32',
    isa: r.kernel?.includes('avx2') ? 'avx2_fma' : 'scalar',
    calls: 1,
    ms: r.ms,
    share: r.ms / total,
    flops: 0,
    bytes: 0,
    gflops: 0,
    shapes: [],
    ...(r.source ? { source: r.source } : {}),
  }));
  return { schema: 'armml.profile/1', runs: [{ mode, ops }] } as unknown as ProfileDoc;
}

function linesOf(report: HotspotReport, fileName: string): Map<number, number> {
  const f = report.files.find((x) => x.path.endsWith(fileName));
  return new Map((f?.hotspots ?? []).map((h) => [h.line, h.ms]));
}

describe('modulePathOf', () => {
  it('turns exporter scopes into module paths', () => {
    expect(modulePathOf('/layer1/layer1.0/conv1/Conv')).toBe('layer1.0.conv1');
    expect(modulePathOf('/features/features.3/conv/conv.0/conv.0.0/Conv')).toBe('features.3.conv.0.0');
    expect(modulePathOf('/model/layers.0/self_attn/q_proj/MatMul')).toBe('model.layers.0.self_attn.q_proj');
    expect(modulePathOf('/model/layers.11/self_attn/MatMul_1')).toBe('model.layers.11.self_attn');
    expect(modulePathOf('/conv1/Conv')).toBe('conv1');
  });
  it('has no module for names from other exporters', () => {
    expect(modulePathOf('Conv_12')).toBeUndefined();
    expect(modulePathOf('p2o.Conv.0')).toBeUndefined();
    expect(modulePathOf('/Relu')).toBeUndefined();
  });
});

describe('computeHotspots on a torchvision-style ResNet', () => {
  const resnet = file('resnet.py');
  const doc = profile([
    { node: '/conv1/Conv', op: 'Conv', ms: 4, kernel: 'conv_im2col_matmul_f32_6x16_avx2_fma' },
    { node: '/layer1/layer1.0/conv1/Conv', op: 'Conv', ms: 2, kernel: 'matmul_f32_6x16_avx2_fma' },
    { node: '/layer1/layer1.1/conv1/Conv', op: 'Conv', ms: 1.5, kernel: 'matmul_f32_6x16_avx2_fma' },
    { node: '/layer2/layer2.0/conv2/Conv', op: 'Conv', ms: 1, kernel: 'conv_im2col_matmul_f32_6x16_avx2_fma' },
    { node: '/fc/Gemm', op: 'Gemm', ms: 0.5, kernel: 'matmul_f32_6x16_avx2_fma' },
    { node: 'Flatten_42', op: 'Flatten', ms: 0.01 },
  ]);
  const report = computeHotspots(doc, [resnet]);
  const lines = linesOf(report, 'resnet.py');

  it('puts the stem conv on ResNet.conv1 and its call', () => {
    expect(lines.get(59)).toBeCloseTo(4);
    expect(lines.get(76)).toBeCloseTo(4);
  });

  it('resolves blocks inside layer1 to the block class the model is built with (Bottleneck)', () => {
    // Both blocks' conv1 sum on Bottleneck's definition and call lines, not BasicBlock's or ResNet's.
    expect(lines.get(28)).toBeCloseTo(3.5);
    expect(lines.get(41)).toBeCloseTo(3.5);
    expect(lines.has(10)).toBe(false);
    expect(lines.get(30)).toBeCloseTo(1); // multi-line `self.conv2 = nn.Conv2d(` starts on line 30
    expect(lines.get(44)).toBeCloseTo(1);
  });

  it('labels, heat and hover describe the line', () => {
    const hs = report.files[0].hotspots;
    const stem = hs.find((h) => h.line === 59)!;
    expect(stem.label).toBe('conv1 · 4.00 ms · 44% · conv_im2col_matmul_f32_6x16_avx2_fma');
    expect(stem.heat).toBe(1);
    const block = hs.find((h) => h.line === 28)!;
    expect(block.heat).toBeCloseTo(3.5 / 4);
    expect(block.label).toContain('(+1 op)');
    expect(block.ops.map((o) => o.node)).toEqual(['/layer1/layer1.0/conv1/Conv', '/layer1/layer1.1/conv1/Conv']);
    expect(block.hover).toContain('| op | node | kernel | ISA | ms | share |');
    expect(block.hover).toContain('| Conv | `/layer1/layer1.0/conv1/Conv` | matmul_f32_6x16_avx2_fma | avx2_fma | 2.000 | 22% |');
    expect(hs.map((h) => h.line)).toEqual([...hs.map((h) => h.line)].sort((a, b) => a - b));
  });

  it('reports names it cannot place instead of guessing', () => {
    expect(report.unmatched.map((o) => o.node)).toEqual(['Flatten_42']);
  });
});

describe('computeHotspots on MobileNetV2 and Llama', () => {
  it('maps numbered Sequential children to the container assignment', () => {
    const doc = profile([
      { node: '/features/features.3/conv/conv.0/conv.0.0/Conv', op: 'Conv', ms: 3 },
      { node: '/features/features.0/features.0.0/Conv', op: 'Conv', ms: 1 },
      { node: '/classifier/classifier.1/Gemm', op: 'Gemm', ms: 0.5 },
    ]);
    const lines = linesOf(computeHotspots(doc, [file('mobilenet.py')]), 'mobilenet.py');
    expect(lines.get(19)).toBeCloseTo(3); // InvertedResidual: self.conv = nn.Sequential(
    expect(lines.get(28)).toBeCloseTo(3); // return x + self.conv(x)
    expect(lines.get(29)).toBeCloseTo(3); // return self.conv(x)
    expect(lines.get(38)).toBeCloseTo(1); // self.features = nn.Sequential(*features)
    expect(lines.get(39)).toBeCloseTo(0.5); // self.classifier
  });

  it('follows trailing indices into written-out Sequential children and Sequential subclasses', () => {
    const doc = profile([
      // conv = nn.Sequential(ConvBNReLU(...), ConvBNReLU(...), nn.Conv2d(...), nn.BatchNorm2d(...))
      { node: '/features/features.3/conv/conv.0/conv.0.0/Conv', op: 'Conv', ms: 3 },
      { node: '/features/features.3/conv/conv.0/conv.0.2/Clip', op: 'Clip', ms: 0.25 },
      { node: '/features/features.3/conv/conv.2/Conv', op: 'Conv', ms: 2 },
      // features = nn.Sequential(*features): which class features[0] is shows only at run time; its
      // child 0 is a Conv, which fits ConvBNReLU's first child (nn.Conv2d), and nothing else here.
      { node: '/features/features.0/features.0.0/Conv', op: 'Conv', ms: 1 },
      // A Relu does not fit ConvBNReLU's third child (nn.ReLU6 exports as Clip): no guess.
      { node: '/features/features.1/features.1.2/Relu', op: 'Relu', ms: 0.125 },
    ]);
    const report = computeHotspots(doc, [file('mobilenet.py')]);
    const lines = linesOf(report, 'mobilenet.py');
    expect(lines.get(20)).toBeCloseTo(3.25); // conv[0]: ConvBNReLU(cin, hidden, kernel_size=1)
    expect(lines.get(22)).toBeCloseTo(2); // conv[2]: nn.Conv2d(hidden, cout, 1, ...)
    expect(lines.get(8)).toBeCloseTo(4); // ConvBNReLU[0]: nn.Conv2d(...), from conv.0.0 and features.0.0
    expect(lines.get(10)).toBeCloseTo(0.25); // ConvBNReLU[2]: nn.ReLU6, the Clip only
    expect(lines.has(9)).toBe(false); // the BatchNorm2d line: no op of this profile is a BatchNormalization
    const helper = report.files[0].hotspots.find((h) => h.line === 8)!;
    expect(helper.label).toMatch(/^ConvBNReLU\[0\] · 4\.00 ms/);
  });

  it('follows model.layers[i].self_attn.q_proj through ModuleList to LlamaAttention', () => {
    const doc = profile([
      { node: '/model/layers.0/self_attn/q_proj/MatMul', op: 'MatMul', ms: 2, kernel: 'matmul_f32_6x16_avx2_fma' },
      { node: '/model/layers.1/self_attn/q_proj/MatMul', op: 'MatMul', ms: 2, kernel: 'matmul_f32_6x16_avx2_fma' },
      { node: '/model/layers.0/self_attn/Softmax', op: 'Softmax', ms: 0.3 },
      { node: '/model/layers.0/mlp/down_proj/MatMul', op: 'MatMul', ms: 1 },
      { node: '/lm_head/MatMul', op: 'MatMul', ms: 5 },
    ]);
    const report = computeHotspots(doc, [file('llama.py'), file('resnet.py')]);
    const lines = linesOf(report, 'llama.py');
    expect(lines.get(21)).toBeCloseTo(4); // self.q_proj = nn.Linear(
    expect(lines.get(27)).toBeCloseTo(4); // q = self.q_proj(hidden_states)
    expect(lines.get(37)).toBeCloseTo(0.3); // functional op inside self_attn: its definition in the layer
    expect(lines.get(11)).toBeCloseTo(1); // down_proj
    expect(lines.get(67)).toBeCloseTo(5); // lm_head
    expect(report.files.map((f) => f.path)).toEqual(['/ws/models/llama.py']);
  });
});

describe('computeHotspots with stack-trace sources', () => {
  it('uses the source field over the node name, matching paths by their tail', () => {
    const doc = profile([
      { node: 'aten::addmm', op: 'Gemm', ms: 2, source: 'File "/home/ci/src/models/resnet.py", line 80, in forward' },
      { node: 'aten::conv2d', op: 'Conv', ms: 1, source: 'models/resnet.py:76' },
      { node: 'aten::relu', op: 'Relu', ms: 1, source: 'elsewhere.py:3' },
    ]);
    const report = computeHotspots(doc, [file('resnet.py'), file('llama.py')]);
    const lines = linesOf(report, 'resnet.py');
    expect(lines.get(80)).toBeCloseTo(2);
    expect(lines.get(76)).toBeCloseTo(1);
    expect(report.files[0].hotspots.find((h) => h.line === 80)!.label.startsWith('forward · 2.00 ms')).toBe(true);
    expect(report.unmatched.map((o) => o.node)).toEqual(['aten::relu']);
  });

  it('picks the requested run and copes with no files or no runs', () => {
    const doc = profile([{ node: '/fc/Gemm', op: 'Gemm', ms: 1 }], 'baseline');
    expect(computeHotspots(doc, [file('resnet.py')]).mode).toBe('baseline');
    expect(computeHotspots(doc, [file('resnet.py')], { mode: 'eager' }).files).toEqual([]);
    expect(computeHotspots(doc, []).unmatched).toHaveLength(1);
  });
});
