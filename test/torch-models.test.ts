// End to end: models exported by PyTorch (and the bundled example) must reproduce torch's outputs
// in every execution mode. The torch family is exported on demand into .cache/torch-models.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../engine/onnx/loader.js';
import { runCase } from '../engine/testdata/suite.js';
import type { Mode } from '../engine/ops/types.js';
import { ROOT } from './support/paths.js';
import { TORCH_MODELS, TORCH_MODELS_DIR, ensureTorchModels } from './support/torch-models.js';

const MODES: Mode[] = ['baseline', 'eager', 'graph'];
const EXAMPLE = path.join(ROOT, 'examples/shapes-mobilenetv2');

function expectReproduces(caseDir: string, mode: Mode): void {
  const r = runCase(caseDir, mode);
  expect(r.status, `${path.basename(caseDir)} (${mode}): ${r.reason ?? ''}`).toBe('pass');
  expect(r.maxAbsErr).toBeLessThan(1e-2);
}

describe('bundled example model (shapes-mobilenetv2)', () => {
  it('is a MobileNetV2 classifier with the documented interface', () => {
    const m = loadModel(path.join(EXAMPLE, 'model.onnx'));
    expect(m.opsets.get('')).toBe(13);
    expect(m.graph.inputs.map((i) => [i.name, i.type])).toEqual([['image', { kind: 'tensor', dtype: 'float32', shape: [1, 3, 160, 160] }]]);
    expect(m.graph.outputs.map((o) => [o.name, o.type])).toEqual([['logits', { kind: 'tensor', dtype: 'float32', shape: [1, 4] }]]);
    const ops = new Set(m.graph.nodes.map((n) => n.opType));
    for (const op of ['Conv', 'Clip', 'Add', 'GlobalAveragePool', 'Gemm']) expect(ops, op).toContain(op);
    // Depthwise convolutions are what makes it a MobileNet.
    const groups = m.graph.nodes.filter((n) => n.opType === 'Conv').map((n) => (n.attrs.group?.type === 'int' ? n.attrs.group.value : 1));
    expect(Math.max(...groups)).toBeGreaterThan(1);
    const labels = fs.readFileSync(path.join(EXAMPLE, 'labels.txt'), 'utf8').trim().split('\n');
    expect(labels).toEqual(['circle', 'square', 'triangle', 'cross']);
  });

  for (const mode of MODES) {
    it(`reproduces torch's logits in ${mode} mode`, () => expectReproduces(EXAMPLE, mode));
  }
});

describe('PyTorch-exported models', () => {
  beforeAll(() => ensureTorchModels(), 900_000);

  it('the export produced exactly the expected family', () => {
    const rows = fs.readFileSync(path.join(TORCH_MODELS_DIR, 'models.tsv'), 'utf8').trim().split('\n').slice(1);
    const exported = rows.map((r) => r.split('\t')).map(([name, opset]) => ({ name, opset: Number(opset) }));
    expect(exported).toEqual(TORCH_MODELS);
    for (const { name, opset } of TORCH_MODELS) {
      const m = loadModel(path.join(TORCH_MODELS_DIR, name, 'model.onnx'));
      expect(m.opsets.get(''), name).toBe(opset);
    }
  });

  it('the dynamic models keep symbolic dims', () => {
    for (const name of ['bert_tiny_dynamic', 'llama_tiny_dynamic']) {
      const m = loadModel(path.join(TORCH_MODELS_DIR, name, 'model.onnx'));
      const shape = m.graph.inputs[0].type?.kind === 'tensor' ? m.graph.inputs[0].type.shape : undefined;
      expect(shape, name).toEqual(['batch', 'sequence']);
    }
  });

  for (const { name } of TORCH_MODELS) {
    for (const mode of MODES) {
      it(`${name} matches torch in ${mode} mode`, () => expectReproduces(path.join(TORCH_MODELS_DIR, name), mode), 300_000);
    }
  }
});
