// Synthetic ONNX graphs for the graph-view tests (test/graphview.test.ts) and the UI benchmark
// (bench/ui.ts).
import type { Model, Node } from '../../engine/graph.js';

export function modelOf(nodes: Node[], inputs = ['x'], outputs = [nodes[nodes.length - 1].outputs[0]]): Model {
  return {
    path: 'synthetic.onnx',
    irVersion: 8,
    producer: 'test',
    opsets: new Map([['', 17]]),
    graph: {
      name: 'synthetic',
      nodes,
      inputs: inputs.map((name) => ({ name })),
      outputs: outputs.map((name) => ({ name })),
      initializers: new Map(),
      valueInfo: new Map(),
    },
    functions: [],
    bytes: 0,
  };
}

export const node = (name: string, opType: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node => ({
  name,
  opType,
  domain: '',
  inputs,
  outputs,
  attrs,
});

/** Residual blocks with a three-way fan-out, like a transformer layer: deep and branchy. */
export function branchyModel(count: number): Model {
  const nodes: Node[] = [];
  let prev = 'x';
  const add = (op: string, inputs: string[]) => {
    const out = `t${nodes.length}`;
    nodes.push(node(`/blk/n${nodes.length}`, op, inputs, [out]));
    return out;
  };
  while (nodes.length < count) {
    const norm = add('LayerNormalization', [prev]);
    const [q, k, v] = [0, 1, 2].map(() => add('Reshape', [add('Add', [add('MatMul', [norm])])]));
    const attn = add('MatMul', [add('Softmax', [add('MatMul', [q, k])]), v]);
    prev = add('Add', [add('MatMul', [attn]), prev]);
  }
  return modelOf(nodes, ['x'], [prev]);
}
