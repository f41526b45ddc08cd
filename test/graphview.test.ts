import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGraphView, summarizeAttr, type GraphView } from '../common/graphview.js';
import { loadModel } from '../engine/onnx/loader.js';
import type { ModeRun } from '../engine/profile.js';
import type { Tensor } from '../engine/tensor.js';
import { SHARED } from './support/paths.js';
import { branchyModel, modelOf, node } from './support/synthetic-graph.js';

const PPOCR = path.join(SHARED, 'models/ppocr_v4_det/model.onnx');

function overlaps(view: GraphView): number {
  const boxes = view.nodes.map((n) => [n.x - n.width / 2, n.y - n.height / 2, n.x + n.width / 2, n.y + n.height / 2]);
  let count = 0;
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      if (a[0] < b[2] - 1 && b[0] < a[2] - 1 && a[1] < b[3] - 1 && b[1] < a[3] - 1) count++;
    }
  }
  return count;
}

describe('buildGraphView on a small graph', () => {
  const model = modelOf([
    node('c', 'Constant', [], ['w'], { value: { type: 'tensor', value: { dtype: 'float32', dims: [4, 3], data: new Float32Array(12) } as unknown as Tensor } }),
    node('mm', 'MatMul', ['x', 'w'], ['y']),
    node('id', 'Identity', ['y'], ['y2']),
    node('relu', 'Relu', ['y2'], ['z']),
    node('softmax', 'Softmax', ['z'], ['out'], { axis: { type: 'int', value: -1 } }),
  ]);

  it('hides Constant/Identity and reconnects through the Identity', () => {
    const view = buildGraphView(model);
    expect(view.nodes.map((n) => n.id)).toEqual(['input:x', 'mm', 'relu', 'softmax', 'output:out']);
    expect(view.hiddenNodes).toBe(2);
    expect(view.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['input:x>mm', 'mm>relu', 'relu>softmax', 'softmax>output:out']);
    const mm = view.nodes.find((n) => n.id === 'mm')!;
    expect(mm.inputs[1]).toEqual({ name: 'w', shape: '4x3', kind: 'constant' });
  });

  it('shows them on request', () => {
    const view = buildGraphView(model, undefined, { showConstants: true });
    expect(view.nodes.map((n) => n.id)).toContain('c');
    expect(view.nodes.map((n) => n.id)).toContain('id');
    expect(view.edges.map((e) => `${e.from}>${e.to}`)).toContain('c>mm');
    expect(view.hiddenNodes).toBe(0);
  });

  it('colours by time share relative to the hottest node and fills in measured shapes', () => {
    const row = (n: string, ms: number, share: number, shapes: number[][]) => ({ node: n, op: 'X', kernel: `k_${n}`, isa: 'avx2_fma', calls: 1, ms, share, flops: 0, bytes: 0, gflops: 0, shapes });
    const run = { mode: 'eager', ops: [row('mm', 3, 0.6, [[2, 4], [4, 3]]), row('relu', 1.5, 0.3, [[2, 3]]), row('softmax', 0.5, 0.1, [[2, 3]])] } as unknown as ModeRun;
    const view = buildGraphView(model, run);
    const byId = new Map(view.nodes.map((n) => [n.id, n]));
    expect(byId.get('mm')!.heat).toBe(1);
    expect(byId.get('relu')!.heat).toBeCloseTo(0.5);
    expect(byId.get('mm')!.kernel).toBe('k_mm');
    expect(byId.get('mm')!.inputs[0].shape).toBe('2x4');
    // The Identity's output reaches Relu: its measured shape is the MatMul output's.
    expect(byId.get('relu')!.inputs[0]).toMatchObject({ name: 'y2', shape: '2x3' });
    expect(byId.get('input:x')!.heat).toBe(0);
    expect(byId.get('softmax')!.attributes).toEqual([{ name: 'axis', value: '-1' }]);
    expect(view.totalMs).toBeCloseTo(5);
  });

  it("shows a graph-mode step the compiler fused on each of the file's nodes in it", () => {
    const row = { node: 'mm', op: 'MatMul+Relu', kernel: 'k_fused', isa: 'avx512f', calls: 1, ms: 2, share: 0.8, flops: 0, bytes: 0, gflops: 0, shapes: [[2, 4], [4, 3]], fused: ['mm', 'relu'] };
    const run = { mode: 'graph', ops: [row, { ...row, node: 'softmax', op: 'Softmax', kernel: 'k_sm', ms: 0.5, share: 0.2, fused: undefined }] } as unknown as ModeRun;
    const byId = new Map(buildGraphView(model, run).nodes.map((n) => [n.id, n]));
    expect(byId.get('relu')!.kernel).toBe('k_fused');
    expect(byId.get('relu')!.heat).toBe(byId.get('mm')!.heat);
    expect(byId.get('softmax')!.kernel).toBe('k_sm');
  });

  it('stacks a chain top to bottom with edges from bottom to top border', () => {
    const view = buildGraphView(model);
    const ys = view.nodes.map((n) => n.y);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
    for (const e of view.edges) {
      const from = view.nodes.find((n) => n.id === e.from)!;
      const to = view.nodes.find((n) => n.id === e.to)!;
      expect(e.points[0]).toEqual({ x: from.x, y: Math.round(from.y + from.height / 2) });
      expect(e.points.at(-1)).toEqual({ x: to.x, y: Math.round(to.y - to.height / 2) });
    }
  });
});

describe('summarizeAttr', () => {
  it('keeps attributes short', () => {
    expect(summarizeAttr({ type: 'ints', value: [1, 2, 3] })).toBe('[1, 2, 3]');
    expect(summarizeAttr({ type: 'ints', value: Array.from({ length: 100 }, (_, i) => i) }).length).toBe(80);
    expect(summarizeAttr({ type: 'string', value: 'NOTSET' })).toBe('"NOTSET"');
    expect(summarizeAttr({ type: 'graph', value: { name: 'body', nodes: [], inputs: [], outputs: [], initializers: new Map(), valueInfo: new Map() } })).toBe("graph 'body' (0 nodes)");
  });
});

describe('buildGraphView on ppocr_v4_det (672 nodes)', () => {
  it('lays out without overlaps, Constant nodes hidden', () => {
    const model = loadModel(PPOCR);
    const t0 = performance.now();
    const view = buildGraphView(model);
    const ms = performance.now() - t0;
    console.log(`ppocr_v4_det: ${model.graph.nodes.length} nodes, ${view.nodes.length} shown, ${view.layoutUnits} layout units, ${ms.toFixed(0)} ms`);
    expect(view.layoutEngine).toBe('dagre');
    expect(view.nodes.length + view.hiddenNodes).toBe(model.graph.nodes.length + model.graph.inputs.length + model.graph.outputs.length);
    expect(view.nodes.some((n) => n.label === 'Constant')).toBe(false);
    expect(overlaps(view)).toBe(0);
    expect(view.edges.every((e) => e.points.length >= 2)).toBe(true);
    // A regression guard, generous for a loaded 2-core CI machine; bench/ui.ts measures the real figure.
    expect(ms).toBeLessThan(20_000);
    // Plain JSON for postMessage.
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
  });
});

describe('buildGraphView at scale', () => {
  it('lays out a 5000-node branchy graph with dagre in a few seconds', () => {
    const model = branchyModel(5000);
    const t0 = performance.now();
    const view = buildGraphView(model);
    const ms = performance.now() - t0;
    console.log(`branchy 5000: ${view.layoutUnits} layout units, ${view.layoutEngine}, ${ms.toFixed(0)} ms`);
    expect(view.nodes.length).toBeGreaterThanOrEqual(5000);
    expect(view.layoutEngine).toBe('dagre');
    // A regression guard, generous for a loaded 2-core CI machine; bench/ui.ts measures the real figure.
    expect(ms).toBeLessThan(30_000);
  });

  it('a 5000-node straight chain collapses to one unit; the built-in layering also places everything', () => {
    const nodes = Array.from({ length: 5000 }, (_, i) => node(`n${i}`, 'Relu', [i ? `t${i - 1}` : 'x'], [`t${i}`]));
    const chain = buildGraphView(modelOf(nodes));
    expect(chain.layoutUnits).toBe(1);
    const layered = buildGraphView(branchyModel(2000), undefined, { engine: 'layered' });
    expect(layered.layoutEngine).toBe('layered');
    expect(overlaps(layered)).toBe(0);
    expect(layered.layoutMs).toBeLessThan(1000);
  });
});
