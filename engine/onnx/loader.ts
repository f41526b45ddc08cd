// Reads an .onnx file into the engine's graph model, with the checks a hostile file needs.
import fs from 'node:fs';
import path from 'node:path';
import { ModelProto } from './schema.js';
import { tensorFromProto, longToNumber, RawTensorProto, ExternalDataContext } from './tensor-proto.js';
import { dtypeFromOnnx, type DType } from '../tensor.js';
import { verifyGraph } from '../compiler/verify.js';
import {
  normalizeDomain,
  type AttrValue,
  type Graph,
  type Model,
  type ModelFunction,
  type Node,
  type ValueInfo,
  type ValueType,
} from '../graph.js';

/** Protobuf messages are limited to 2 GiB; larger weights must use external data. */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;
export const MAX_NODES = 1_000_000;
const MAX_GRAPH_DEPTH = 32;

/** Error raised for a model that cannot be loaded: the message names the file and the problem. */
export class ModelLoadError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ModelLoadError';
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any -- protobufjs yields untyped message objects */

function decodeType(t: any): ValueType | undefined {
  if (!t) return undefined;
  if (t.tensorType || t.sparseTensorType) {
    const tt = t.tensorType ?? t.sparseTensorType;
    let dtype: DType | undefined;
    try {
      dtype = tt.elemType ? dtypeFromOnnx(tt.elemType) : undefined;
    } catch {
      dtype = undefined;
    }
    const shape = tt.shape
      ? (tt.shape.dim ?? []).map((d: any) =>
          d.dimValue !== undefined && d.dimValue !== null && d.value === 'dimValue'
            ? longToNumber(d.dimValue)
            : d.dimParam
              ? String(d.dimParam)
              : undefined,
        )
      : undefined;
    return { kind: 'tensor', dtype, shape };
  }
  if (t.sequenceType) return { kind: 'sequence', elem: decodeType(t.sequenceType.elemType) };
  if (t.optionalType) return { kind: 'optional', elem: decodeType(t.optionalType.elemType) };
  return undefined;
}

/** Graph inputs and outputs of element types the engine cannot hold are refused up front. */
function checkElementType(v: any): void {
  let t = v.type;
  while (t && (t.sequenceType || t.optionalType)) t = (t.sequenceType ?? t.optionalType).elemType;
  const code = (t?.tensorType ?? t?.sparseTensorType)?.elemType;
  if (code) {
    try {
      dtypeFromOnnx(code);
    } catch (e) {
      throw new Error(`graph value '${v.name}': ${(e as Error).message}`);
    }
  }
}

function decodeValueInfo(v: any): ValueInfo {
  return { name: String(v.name ?? ''), type: decodeType(v.type) };
}

class Decoder {
  constructor(private readonly ext: ExternalDataContext) {}

  attr(a: any, depth: number): AttrValue | undefined {
    const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');
    switch (a.type) {
      case 1:
        return { type: 'float', value: a.f ?? 0 };
      case 2:
        return { type: 'int', value: longToNumber(a.i ?? 0) };
      case 3:
        return { type: 'string', value: utf8(a.s ?? new Uint8Array()) };
      case 4:
        return { type: 'tensor', value: tensorFromProto(a.t ?? {}, this.ext) };
      case 5:
        return { type: 'graph', value: this.graph(a.g ?? {}, depth + 1) };
      case 6:
        return { type: 'floats', value: (a.floats ?? []).slice() };
      case 7:
        return { type: 'ints', value: (a.ints ?? []).map(longToNumber) };
      case 8:
        return { type: 'strings', value: (a.strings ?? []).map(utf8) };
      case 9:
        return { type: 'tensors', value: (a.tensors ?? []).map((t: RawTensorProto) => tensorFromProto(t, this.ext)) };
      case 10:
        return { type: 'graphs', value: (a.graphs ?? []).map((g: any) => this.graph(g, depth + 1)) };
      case 11:
      case 12:
        throw new Error(`attribute '${a.name}': sparse tensors are not supported`);
      default:
        // IR < 2 had no type field: infer from the field that is set.
        if (a.type === 0 || a.type === undefined) {
          if (a.ints?.length) return { type: 'ints', value: a.ints.map(longToNumber) };
          if (a.floats?.length) return { type: 'floats', value: a.floats.slice() };
          if (a.strings?.length) return { type: 'strings', value: a.strings.map(utf8) };
          if (a.t) return { type: 'tensor', value: tensorFromProto(a.t, this.ext) };
          if (a.g) return { type: 'graph', value: this.graph(a.g, depth + 1) };
          if (a.s?.length) return { type: 'string', value: utf8(a.s) };
          if (a.i !== undefined && longToNumber(a.i) !== 0) return { type: 'int', value: longToNumber(a.i) };
          if (a.f) return { type: 'float', value: a.f };
        }
        return undefined;
    }
  }

  node(n: any, index: number, depth: number, graphName: string): Node {
    const opType = String(n.opType ?? '');
    if (!opType) throw new Error(`node ${index} in graph '${graphName}' has no op type`);
    const attrs: Record<string, AttrValue> = {};
    for (const a of n.attribute ?? []) {
      const name = String(a.name ?? '');
      try {
        if (a.refAttrName) {
          attrs[name] = { type: 'string', value: `@ref:${a.refAttrName}` };
          (attrs[name] as any).ref = String(a.refAttrName);
          continue;
        }
        const v = this.attr(a, depth);
        if (v) attrs[name] = v;
      } catch (e) {
        throw new Error(`node '${n.name || opType}' attribute '${name}': ${(e as Error).message}`);
      }
    }
    return {
      name: n.name ? String(n.name) : `${opType}_${index}`,
      opType,
      domain: normalizeDomain(n.domain),
      inputs: (n.input ?? []).map(String),
      outputs: (n.output ?? []).map(String),
      attrs,
      docString: n.docString || undefined,
    };
  }

  graph(g: any, depth: number): Graph {
    if (depth > MAX_GRAPH_DEPTH) throw new Error(`subgraphs nested deeper than ${MAX_GRAPH_DEPTH} levels`);
    const name = String(g.name ?? '');
    const rawNodes = g.node ?? [];
    if (rawNodes.length > MAX_NODES) throw new Error(`graph has ${rawNodes.length} nodes, over the limit of ${MAX_NODES}`);
    const initializers = new Map()
    for (const t of g.initializer ?? []) {
      const tensor = tensorFromProto(t, this.ext);
      initializers.set(String(t.name ?? ''), tensor);
    }
    if ((g.sparseInitializer ?? []).length > 0) throw new Error('sparse initializers are not supported');
    const nodes = rawNodes.map((n: any, i: number) => this.node(n, i, depth, name));
    for (const v of [...(g.input ?? []), ...(g.output ?? [])]) checkElementType(v);
    const inputs = (g.input ?? []).map(decodeValueInfo).filter((v: ValueInfo) => !initializers.has(v.name));
    const outputs = (g.output ?? []).map(decodeValueInfo);
    const valueInfo = new Map<string, ValueInfo>();
    for (const v of g.valueInfo ?? []) valueInfo.set(String(v.name), decodeValueInfo(v));
    return { name, nodes, inputs, outputs, initializers, valueInfo };
  }

  fn(f: any): ModelFunction {
    const defaults: Record<string, AttrValue> = {};
    for (const a of f.attributeProto ?? []) {
      const v = this.attr(a, 0);
      if (v) defaults[String(a.name)] = v;
    }
    const opsets = new Map<string, number>();
    for (const o of f.opsetImport ?? []) opsets.set(normalizeDomain(o.domain), longToNumber(o.version));
    return {
      domain: normalizeDomain(f.domain),
      name: String(f.name ?? ''),
      inputs: (f.input ?? []).map(String),
      outputs: (f.output ?? []).map(String),
      attributes: [...(f.attribute ?? []).map(String), ...Object.keys(defaults)],
      attributeDefaults: defaults,
      nodes: (f.node ?? []).map((n: any, i: number) => this.node(n, i, 1, String(f.name))),
      opsets,
    };
  }
}

/** Decodes model bytes; `file` names the model in errors and anchors external data. */
export function decodeModel(bytes: Uint8Array, file: string): Model {
  if (bytes.length === 0) throw new ModelLoadError(file, 'the file is empty');
  let m: any;
  try {
    m = ModelProto.decode(bytes);
  } catch (e) {
    const msg = (e as Error).message;
    throw new ModelLoadError(file, `not a valid ONNX model: the protobuf data is corrupt or truncated (${msg})`);
  }
  if (!m.graph) throw new ModelLoadError(file, 'not a valid ONNX model: it has no graph');
  const opsets = new Map<string, number>();
  for (const o of m.opsetImport ?? []) opsets.set(normalizeDomain(o.domain), longToNumber(o.version));
  const irVersion = longToNumber(m.irVersion ?? 0);
  if (opsets.size === 0) {
    // IR 1-2 files have no opset import; they mean opset 1.
    if (irVersion > 2) throw new ModelLoadError(file, 'not a valid ONNX model: it imports no opset');
    opsets.set('', 1);
  }
  const dec = new Decoder({ baseDir: path.dirname(path.resolve(file)) });
  try {
    const graph = dec.graph(m.graph, 0);
    if (graph.nodes.length === 0 && graph.outputs.length === 0) {
      throw new Error('not a valid ONNX model: the graph is empty');
    }
    verifyGraph(graph);
    return {
      path: file,
      irVersion,
      producer: [m.producerName, m.producerVersion].filter(Boolean).join(' '),
      opsets,
      graph,
      functions: (m.functions ?? []).map((f: any) => dec.fn(f)),
      bytes: bytes.length,
    };
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError(file, (e as Error).message);
  }
}

export function loadModel(file: string): Model {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ModelLoadError(file, 'file not found');
  }
  if (stat.isDirectory()) throw new ModelLoadError(file, 'is a folder, not an .onnx file');
  if (stat.size > MAX_MODEL_BYTES) {
    throw new ModelLoadError(file, `the file is ${stat.size} bytes, over the 2 GiB protobuf limit (store weights as external data)`);
  }
  return decodeModel(fs.readFileSync(file), file);
}
