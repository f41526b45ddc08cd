// The contract between the executor and op implementations.
import type { Graph, Node, AttrValue } from '../graph.js';
import type { DType, Tensor } from '../tensor.js';
import type { NativeBackend } from '../native.js';

/** A sequence value (ONNX seq(tensor)). */
export interface TensorSequence {
  kind: 'sequence';
  items: Tensor[];
  elemType?: DType;
}

/** What flows along graph edges: a tensor, a sequence, or null for an empty optional. */
export type Value = Tensor | TensorSequence | null;

import type { Mode } from '../../common/profile.js';

export type { Mode };

/** What an op reports about the kernel that ran, for the profile. */
export interface KernelReport {
  /** Kernel variant name, e.g. `matmul_f32_6x16_avx2_fma`, or `ts_reference` for TypeScript loops. */
  kernel: string;
  /** Instruction set the kernel used: `avx2+fma`, `neon`, `scalar`… */
  isa: string;
  /** Floating-point operations (multiply-add = 2) of this call, when known. */
  flops?: number;
  /** Nanoseconds measured inside the native addon around the kernel itself, when native. */
  nativeNs?: number;
  /**
   * The node's whole work was the one prepared-call run it made (output allocated, nothing done
   * in JS before or after): graph mode's program may replay that call instead of the op.
   */
  replay?: boolean;
}

export interface OpContext {
  readonly node: Node;
  /** Opset version the model imports for the node's domain. */
  readonly opset: number;
  readonly mode: Mode;
  readonly threads: number;
  readonly attrs: Attrs;
  readonly native: NativeBackend;
  /** Runs a subgraph (If/Loop/Scan body) with the given graph inputs; names of the enclosing scopes stay visible. */
  runSubgraph(graph: Graph, inputs: Value[]): Value[];
  /** Records which kernel ran (the last call wins; ops that run several kernels name the dominant one). */
  report(r: KernelReport): void;
  /**
   * What the op keeps for this node from one run of a plan to the next (a prepared kernel call,
   * a broadcast plan): undefined at first and in contexts that keep nothing. An op must check
   * it still fits the inputs, mode and threads before using it.
   */
  memo?: unknown;
}

/** An op implementation: inputs in node order (undefined where an optional input is omitted). */
export type OpImpl = (ctx: OpContext, inputs: (Value | undefined)[]) => Value[];

export interface OpEntry {
  op: string;
  /** '' = default ONNX domain. */
  domain: string;
  /** First opset version this entry implements. */
  since: number;
  /** Last opset version this entry implements (inclusive); open-ended when absent. */
  until?: number;
  impl: OpImpl;
}

export class OpError extends Error {}

export class Attrs {
  constructor(
    private readonly node: Node,
    private readonly values: Record<string, AttrValue> = node.attrs,
  ) {}

  has(name: string): boolean {
    return name in this.values;
  }

  private get<T extends AttrValue['type']>(name: string, types: T[]): Extract<AttrValue, { type: T }> | undefined {
    const a = this.values[name];
    if (!a) return undefined;
    if (!types.includes(a.type as T)) {
      throw new OpError(`attribute '${name}' should be ${types.join(' or ')}, found ${a.type}`);
    }
    return a as Extract<AttrValue, { type: T }>;
  }

  int(name: string, dflt: number): number;
  int(name: string): number | undefined;
  int(name: string, dflt?: number): number | undefined {
    return this.get(name, ['int'])?.value ?? dflt;
  }

  float(name: string, dflt: number): number;
  float(name: string): number | undefined;
  float(name: string, dflt?: number): number | undefined {
    const a = this.get(name, ['float', 'int']);
    return a ? a.value : dflt;
  }

  string(name: string, dflt: string): string;
  string(name: string): string | undefined;
  string(name: string, dflt?: string): string | undefined {
    return this.get(name, ['string'])?.value ?? dflt;
  }

  ints(name: string, dflt: number[]): number[];
  ints(name: string): number[] | undefined;
  ints(name: string, dflt?: number[]): number[] | undefined {
    return this.get(name, ['ints'])?.value ?? dflt;
  }

  floats(name: string, dflt: number[]): number[];
  floats(name: string): number[] | undefined;
  floats(name: string, dflt?: number[]): number[] | undefined {
    return this.get(name, ['floats'])?.value ?? dflt;
  }

  strings(name: string): string[] | undefined {
    return this.get(name, ['strings'])?.value;
  }

  tensor(name: string): Tensor | undefined {
    return this.get(name, ['tensor'])?.value;
  }

  graph(name: string): Graph | undefined {
    return this.get(name, ['graph'])?.value;
  }

  /** Names of all attributes present. */
  names(): string[] {
    return Object.keys(this.values);
  }
}

/** Narrows an input to a tensor, with an error naming the input position. */
export function tensorInput(inputs: (Value | undefined)[], i: number, what = `input ${i}`): Tensor {
  const v = inputs[i];
  if (v === undefined || v === null) throw new OpError(`${what} is required`);
  if ('kind' in v) throw new OpError(`${what} must be a tensor, got a sequence`);
  return v;
}

export function optionalTensor(inputs: (Value | undefined)[], i: number): Tensor | undefined {
  const v = inputs[i];
  if (v === undefined || v === null) return undefined;
  if ('kind' in v) throw new OpError(`input ${i} must be a tensor, got a sequence`);
  return v;
}
