import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFolder } from '../../engine/testdata/suite.js';
import { SHARED } from '../support/paths.js';

const OPS: Record<string, string[]> = {
  control: ['If', 'Loop', 'Scan'],
  sequence: [
    'SequenceEmpty',
    'SequenceConstruct',
    'SequenceAt',
    'SequenceInsert',
    'SequenceErase',
    'SequenceLength',
    'ConcatFromSequence',
    'SplitToSequence',
    'SequenceMap',
    'Optional',
    'OptionalHasElement',
    'OptionalGetElement',
  ],
  quant: ['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'QLinearMatMul', 'QLinearConv'],
  rnn: ['RNN', 'GRU', 'LSTM'],
  transformer: ['Attention', 'RotaryEmbedding', 'RMSNormalization'],
};

describe('conformance of control flow, sequence, quantization, recurrent and transformer ops', () => {
  for (const [area, ops] of Object.entries(OPS)) {
    it(`passes >= 95% of the supported ONNX node cases of the ${area} ops`, () => {
      const wanted = new Set(ops);
      const results = runFolder(path.join(SHARED, 'onnx-node'), { filter: (row) => wanted.has(row.op_type) });
      const pass = results.filter((r) => r.status === 'pass');
      const fail = results.filter((r) => r.status === 'fail');
      for (const f of fail) console.log(`FAIL ${f.name} [${f.op}]: ${f.reason}`);
      // Every op of the area must have at least one passing case (or no cases at all in the suite).
      const opsWithCases = new Set(results.map((r) => r.op));
      for (const op of opsWithCases)
        expect(
          pass.some((r) => r.op === op),
          `no passing case for ${op}`,
        ).toBe(true);
      expect(pass.length).toBeGreaterThan(0);
      expect(pass.length / (pass.length + fail.length)).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('passes the onnx-simple sequence models', () => {
    const results = runFolder(path.join(SHARED, 'onnx-simple'), { filter: (row) => row.case.startsWith('test_sequence_model') });
    for (const f of results.filter((r) => r.status !== 'pass')) console.log(`${f.status.toUpperCase()} ${f.name}: ${f.reason}`);
    expect(results.length).toBe(8);
    expect(results.every((r) => r.status === 'pass')).toBe(true);
  });
});
