// Graph mode's entry: compile a model for the inputs it is about to run on. One eager run records
// every value's shape (so Shape chains fold and residual Adds fuse), then the passes run. The
// compiled graph is valid for these input shapes, which is what a profile or a test case runs.
import type { Model } from '../graph.js';
import { Plan } from '../executor.js';
import type { NativeBackend } from '../native.js';
import type { Value } from '../ops/types.js';
import { compileModel, type Compiled } from './compile.js';
import { planMemory, type MemoryPlan } from './memory-plan.js';
import { GraphProgram } from './program.js';

export interface GraphModeOptions {
  threads: number;
  native: NativeBackend;
  signal?: AbortSignal;
  /** Passes to turn off. */
  disabled?: readonly string[];
  /** An eager plan of `model` already made (else one is made for the shape run). */
  plan?: Plan;
}

export function compileForInputs(model: Model, inputs: Value[], opts: GraphModeOptions): Compiled & { memory: MemoryPlan } {
  const shapes = new Map<string, readonly number[]>();
  const bytes = new Map<string, number>();
  const plan = opts.plan ?? new Plan(model);
  const r = plan.run(inputs, { mode: 'eager', threads: opts.threads, native: opts.native, signal: opts.signal, timings: true });
  for (const t of r.timings) {
    if (t.scope) continue;
    t.node.outputs.forEach((o, k) => {
      const dims = t.outputShapes[k];
      if (o && dims) shapes.set(o, dims);
      if (o && t.outputBytes[k] !== undefined) bytes.set(o, t.outputBytes[k]);
    });
  }
  model.graph.inputs.forEach((vi, k) => {
    const v = inputs[k];
    if (v && !('kind' in v)) shapes.set(vi.name, v.dims);
  });
  for (const [name, t] of model.graph.initializers) shapes.set(name, t.dims);
  const compiled = compileModel(model, { disabled: opts.disabled, shapes });
  return { ...compiled, memory: planMemory(compiled.model.graph, bytes) };
}

export interface GraphMode extends Compiled {
  memory: MemoryPlan;
  /** The compiled graph as one native program (what graph mode runs: `program.run` as `Plan.run`). */
  program: GraphProgram;
}

/** Compiles `model` for `inputs` and records its program (ops run as in eager mode). */
export function graphMode(model: Model, inputs: Value[], opts: GraphModeOptions): GraphMode {
  const compiled = compileForInputs(model, inputs, opts);
  const program = GraphProgram.create(new Plan(compiled.model), inputs, { mode: 'eager', threads: opts.threads, native: opts.native, signal: opts.signal });
  return { ...compiled, program };
}
