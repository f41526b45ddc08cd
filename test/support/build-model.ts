// Builds small ONNX models in memory for tests (hostile and hand-made cases).
import { ModelProto } from '../../engine/onnx/schema.js';

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, unknown>[];
}

export interface ModelSpec {
  opset?: number;
  nodes: NodeSpec[];
  inputs: { name: string; elemType?: number; dims?: (number | string)[] }[];
  outputs: { name: string; elemType?: number; dims?: (number | string)[] }[];
  initializers?: Record<string, unknown>[];
  opsets?: { domain: string; version: number }[];
}

const valueInfo = (v: { name: string; elemType?: number; dims?: (number | string)[] }) => ({
  name: v.name,
  type: {
    tensorType: {
      elemType: v.elemType ?? 1,
      ...(v.dims ? { shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}),
    },
  },
});

export function buildModel(spec: ModelSpec): Uint8Array {
  const msg = {
    irVersion: 8,
    opsetImport: spec.opsets ?? [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'g',
      node: spec.nodes.map((n, i) => ({ opType: n.op, input: n.inputs, output: n.outputs, name: n.name ?? `n${i}`, domain: n.domain ?? '', attribute: n.attrs ?? [] })),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: spec.initializers ?? [],
    },
  };
  return ModelProto.encode(ModelProto.fromObject(msg)).finish();
}
