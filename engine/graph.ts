// The engine's model of an ONNX graph: plain data, decoded once by the loader.
import type { DType, Tensor } from './tensor.js';

export type AttrValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'graph'; value: Graph }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensors'; value: Tensor[] }
  | { type: 'graphs'; value: Graph[] };

export interface Node {
  /** Node name; when the file has none, a stable one made from op type and position. */
  name: string;
  opType: string;
  /** '' for the default ONNX domain (also written 'ai.onnx'). */
  domain: string;
  /** Input value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  docString?: string;
  /** Set by the graph compiler on a node that stands for several of the file's nodes. */
  fused?: FusedInfo;
}

/**
 * What the graph compiler folded into one node: the op types and names of the file's nodes it
 * replaces (the first is the node's own, so the op table still names the user's nodes), and the
 * epilogue the kernel applies while its output is in registers: `+ input 3` when `residual`,
 * then the activation (names as in engine/native.ts ACTIVATIONS; alpha/beta as there).
 */
export interface FusedInfo {
  ops: string[];
  nodes: string[];
  /** MatMul: input 2 is a bias of N values added to every row (Conv's bias is its own input 2). */
  bias?: boolean;
  /** MatMul: B is a constant weight, packed into the kernel's layout once (weight-prepacking). */
  prepackB?: boolean;
  act?: string;
  actAlpha?: number;
  actBeta?: number;
  residual?: boolean;
}

/** Element type of a graph value; `sequence`/`optional` wrap another type. */
export type ValueType =
  | { kind: 'tensor'; dtype: DType | undefined; shape?: (number | string | undefined)[] }
  | { kind: 'sequence'; elem: ValueType | undefined }
  | { kind: 'optional'; elem: ValueType | undefined };

export interface ValueInfo {
  name: string;
  type?: ValueType;
}

export interface Graph {
  name: string;
  nodes: Node[];
  /** Graph inputs that are not initializers, in file order: what a caller must bind. */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<string, Tensor>;
  valueInfo: Map<string, ValueInfo>;
}

export interface ModelFunction {
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: string[];
  attributeDefaults: Record<string, AttrValue>;
  nodes: Node[];
  opsets: Map<string, number>;
}

export interface Model {
  path: string;
  irVersion: number;
  producer: string;
  /** Imported opset version per domain ('' = default ONNX domain). */
  opsets: Map<string, number>;
  graph: Graph;
  functions: ModelFunction[];
  /** Size of the model file in bytes. */
  bytes: number;
}

export function normalizeDomain(domain: string | undefined | null): string {
  return !domain || domain === 'ai.onnx' ? '' : domain;
}
