// The ONNX backend tests as a conformance suite: at least 95% of the supported cases pass in
// every folder, in both modes, and the generated docs match the registry and the results.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFolder } from '../engine/testdata/suite.js';
import { passRate } from '../engine/testdata/report.js';
import { operatorsMarkdown } from '../engine/ops-doc.js';
import { AVAILABLE_MODES } from '../engine/profile.js';
import { ROOT, SHARED } from './support/paths.js';

const FOLDERS = ['onnx-node', 'onnx-pytorch-converted', 'onnx-pytorch-operator', 'onnx-simple', 'onnx-light'];

describe('ONNX backend conformance', () => {
  for (const mode of AVAILABLE_MODES) {
    // onnx-light's nine full CNNs (VGG-19, ResNet-50…) take minutes through the naive baseline
    // convolution; baseline conv correctness is covered by the other folders and the models.
    for (const folder of mode === 'baseline' ? FOLDERS.filter((f) => f !== 'onnx-light') : FOLDERS) {
      it(`${folder} (${mode}): >= 95% of supported cases pass`, () => {
        const results = runFolder(path.join(SHARED, folder), { mode });
        const { pass, fail, rate } = passRate(results);
        const failures = results.filter((r) => r.status === 'fail').map((r) => `${r.name}: ${r.reason}`);
        if (failures.length) console.log(`${folder} (${mode}) failures:\n${failures.join('\n')}`);
        expect(pass).toBeGreaterThan(0);
        expect(rate, `${pass} pass, ${fail} fail:\n${failures.join('\n')}`).toBeGreaterThanOrEqual(0.95);
      });
    }
  }

  it('counts the most used ops of CNNs, transformers and Llama decoders as supported', () => {
    const results = runFolder(path.join(SHARED, 'onnx-node'), { filter: (r) => ['Conv', 'MatMul', 'Softmax', 'LayerNormalization', 'Gather', 'Reshape', 'Transpose', 'Attention', 'RMSNormalization', 'RotaryEmbedding'].includes(r.op_type) });
    const unsupported = results.filter((r) => r.status === 'unsupported' && !/element type/.test(r.reason ?? ''));
    expect(unsupported.map((r) => `${r.name}: ${r.reason}`)).toEqual([]);
  });
});

describe('generated docs', () => {
  it('docs/OPERATORS.md matches the registry (npm run docs:ops)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'docs/OPERATORS.md'), 'utf8')).toBe(operatorsMarkdown());
  });
});
