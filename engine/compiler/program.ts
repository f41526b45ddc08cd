// Graph mode's runner: the compiled graph as one native program, run in one addon call per
// inference. One recording run of the compiled plan fixes every node's prepared kernel call and
// the arrays it ran on; a node whose whole work was one such call (a conv, GEMM, MatMul, binary or
// unary kernel on its own inputs and output) becomes a kernel step that the addon replays on those
// arrays, and every other node a callback step that runs its op in JS from inside the program.
// The arrays are fixed by the recording: the weights, and the buffers the kernels wrote, reused as
// the recording's buffer pool reused them. The graph's inputs are bound per run, and a value a
// callback makes is rebound after it, for the kernel steps that read it. Step times are taken in
// native code, so a timed run costs two clock reads per step.
import type { Node } from '../graph.js';
import { Tensor } from '../tensor.js';
import { BufferPool, withPool } from '../buffer-pool.js';
import type { Plan, NodeTiming, RunOptions, RunResult, RecordedStep } from '../executor.js';
import type { Value } from '../ops/types.js';
import type { NativeBackend } from '../native.js';
import type { NativeProgram } from '../native-calls.js';
import type { ProgramInfo } from '../../common/profile.js';

interface StepInfo {
  node: Node;
  /** Index in the plan's run order. */
  index: number;
  kernel: boolean;
  timing: NodeTiming;
  /** Callback steps: the slots of the outputs kernel steps read, in rebind order (with their shapes). */
  rebind: { slot: number; name: string; dims: readonly number[] }[];
}

function isF32Tensor(v: Value | undefined): v is Tensor & { data: Float32Array } {
  return v instanceof Tensor && v.data instanceof Float32Array;
}

function tensorsOf(v: Value | undefined): Tensor[] {
  if (!v) return [];
  return 'kind' in v ? v.items : [v];
}

/** Whether a recorded node can be a kernel step: its whole work was one call on its own values. */
function replayable(s: RecordedStep): boolean {
  if (!s.report.replay || s.calls.length !== 1) return false;
  const named = s.node.outputs.filter(Boolean);
  if (named.length !== 1 || !isF32Tensor(s.outputs[s.node.outputs.indexOf(named[0])])) return false;
  const out = s.outputs[s.node.outputs.indexOf(named[0])] as Tensor;
  const arrays = s.calls[0].arrays;
  if (!arrays.includes(out.data as Float32Array)) return false;
  // Every array the call ran on is one of the node's values: nothing the op made on the side.
  return arrays.every((a) => a === null || a === out.data || s.inputs.some((v) => isF32Tensor(v) && v.data === a));
}

export class GraphProgram {
  private readonly steps: StepInfo[] = [];
  private readonly program: NativeProgram;
  private readonly pool = new BufferPool();
  /** Slot values every run starts from: the tensors the kernel steps write. */
  private readonly preset: [number, Value][] = [];
  /** The graph inputs kernel steps read (indices), bound to the program per run. */
  private readonly inputEntries: number[] = [];
  private readonly inputDims: (readonly number[] | null)[];
  /** Buffers the recording fixed (outputs in them are copied out after a run). */
  private readonly fixedBuffers = new Set<ArrayBufferLike>();
  private readonly outputSlots: number[];
  readonly info: ProgramInfo;

  private constructor(
    private readonly plan: Plan,
    native: NativeBackend,
    rec: RecordedStep[],
    inputs: Value[],
  ) {
    const g = plan.model.graph;
    this.inputDims = inputs.map((v) => (v instanceof Tensor ? v.dims.slice() : null));
    this.outputSlots = g.outputs.map((o) => plan.slot(o.name)!);
    const inputIndex = new Map(g.inputs.map((vi, i) => [vi.name, i]));
    const initializers = g.initializers;
    // Table entries: one per value a kernel step reads or writes.
    const entryOf = new Map<string, number>();
    const fixed: (Float32Array | null)[] = [];
    const entry = (name: string, data: Float32Array | null): number => {
      let e = entryOf.get(name);
      if (e === undefined) {
        e = fixed.length;
        entryOf.set(name, e);
        fixed.push(data);
      }
      return e;
    };
    const kernelStep = rec.map(replayable);
    const madeByKernel = new Set<string>();
    rec.forEach((s, i) => {
      if (kernelStep[i]) for (const o of s.node.outputs) if (o) madeByKernel.add(o);
    });
    // Values read by kernel steps, from callbacks (rebound) or graph inputs (bound per run).
    const readByKernel = new Set<string>();
    const spec: number[] = [];
    const calls = [];
    for (let i = 0; i < rec.length; i++) {
      const s = rec[i];
      const timing = s.timing;
      if (!kernelStep[i]) {
        this.steps.push({ node: s.node, index: s.index, kernel: false, timing, rebind: [] });
        continue;
      }
      const call = s.calls[0];
      calls.push(call.call);
      spec.push(1, call.call.handle, call.arrays.length);
      for (const a of call.arrays) {
        if (a === null) {
          spec.push(-1);
          continue;
        }
        // The value this array is: the output, or an input (by identity).
        const outName = s.node.outputs.find(Boolean)!;
        const out = s.outputs[s.node.outputs.indexOf(outName)] as Tensor;
        let name = a === out.data ? outName : undefined;
        if (name === undefined) {
          const k = s.inputs.findIndex((v) => isF32Tensor(v) && v.data === a);
          name = s.node.inputs[k];
        }
        const fixedHere = initializers.has(name) || madeByKernel.has(name);
        if (!fixedHere) readByKernel.add(name);
        spec.push(entry(name, fixedHere ? a : null));
        if (fixedHere && !initializers.has(name)) this.fixedBuffers.add(a.buffer);
      }
      const outName = s.node.outputs.find(Boolean)!;
      this.preset.push([plan.slot(outName)!, s.outputs[s.node.outputs.indexOf(outName)]]);
      this.steps.push({ node: s.node, index: s.index, kernel: true, timing, rebind: [] });
    }
    // Callback steps rebind what they make that kernel steps read.
    let k = 0;
    const stepSpec: number[] = [];
    for (let i = 0; i < rec.length; i++) {
      const st = this.steps[i];
      if (st.kernel) {
        const n = 3 + rec[i].calls[0].arrays.length;
        stepSpec.push(...spec.slice(k, k + n));
        k += n;
        continue;
      }
      const s = rec[i];
      s.node.outputs.forEach((o, j) => {
        if (!o || !readByKernel.has(o)) return;
        const v = s.outputs[j];
        if (!isF32Tensor(v)) throw new Error(`graph program: '${o}' feeds a kernel but is not a float32 tensor`);
        st.rebind.push({ slot: plan.slot(o)!, name: o, dims: v.dims.slice() });
      });
      stepSpec.push(0, st.rebind.length, ...st.rebind.map((r) => entryOf.get(r.name)!));
    }
    for (const name of readByKernel) {
      if (inputIndex.has(name)) this.inputEntries.push(inputIndex.get(name)!);
    }
    const inputSpec = this.inputEntries.map((i) => entryOf.get(g.inputs[i].name)!);
    const full = [fixed.length, inputSpec.length, ...inputSpec, rec.length, ...stepSpec];
    this.program = native.createProgram(Float64Array.from(full), fixed, calls);
    const callbacks: Record<string, number> = {};
    for (const st of this.steps) if (!st.kernel) callbacks[st.node.opType] = (callbacks[st.node.opType] ?? 0) + 1;
    const kernelSteps = this.steps.filter((s) => s.kernel).length;
    this.info = { steps: this.steps.length, kernel_steps: kernelSteps, callback_steps: this.steps.length - kernelSteps, callbacks };
  }

  /** Records one run of `plan` (a compiled graph's) on `inputs` and builds its program. */
  static create(plan: Plan, inputs: Value[], opts: RunOptions): GraphProgram {
    const r = plan.record(inputs, opts);
    return new GraphProgram(plan, opts.native, r.steps, inputs);
  }

  get nodeCount(): number {
    return this.plan.nodeCount;
  }

  run(inputs: Value[], opts: RunOptions): RunResult {
    const g = this.plan.model.graph;
    if (inputs.length !== g.inputs.length) {
      throw new Error(`the model has ${g.inputs.length} inputs (${g.inputs.map((i) => i.name).join(', ')}), ${inputs.length} were given`);
    }
    inputs.forEach((v, i) => {
      const want = this.inputDims[i];
      const dims = v instanceof Tensor ? v.dims : null;
      if (want && (!dims || dims.length !== want.length || dims.some((d, k) => d !== want[k]))) {
        throw new Error(
          `graph mode was compiled for input '${g.inputs[i].name}' of shape [${want.join(', ')}], got ${dims ? `[${dims.join(', ')}]` : 'a non-tensor'}: compile again for the new shape`,
        );
      }
    });
    const bound: Float32Array[] = this.inputEntries.map((i) => {
      const v = inputs[i];
      if (!isF32Tensor(v)) throw new Error(`input '${g.inputs[i].name}' must be a float32 tensor`);
      return v.data;
    });
    const preset: [number, Value][] = [...this.preset];
    g.inputs.forEach((vi, i) => preset.push([this.plan.slot(vi.name)!, inputs[i]]));
    const timed = opts.timings === true;
    const times = timed ? new Float64Array(2 * this.steps.length) : null;
    const callbackNs = timed ? new Float64Array(this.steps.length) : null;
    const native = opts.native;
    const replay = this.plan.replay({ ...opts, timings: false }, this.pool, preset);
    const hold = opts.threads > 1;
    if (hold) native.holdPool(opts.threads);
    const steps = this.steps;
    const signal = opts.signal;
    let callbackKernelNs = 0;
    const t0 = timed ? process.hrtime.bigint() : 0n;
    try {
      const kernelNs = withPool(this.pool, () =>
        this.program.run(
          bound,
          (i) => {
            if (signal?.aborted) throw new Error('the run was cancelled');
            const st = steps[i];
            const ns = replay.node(st.index);
            callbackKernelNs += ns;
            if (callbackNs) callbackNs[i] = ns;
            if (st.rebind.length === 0) return undefined;
            return st.rebind.map((r) => {
              const v = replay.get(r.slot);
              if (!isF32Tensor(v) || v.dims.length !== r.dims.length || v.dims.some((d, k) => d !== r.dims[k])) {
                throw new Error(
                  `node '${st.node.name}' (${st.node.opType}): '${r.name}' changed from the compile run's float32 [${r.dims.join(', ')}]; graph mode is compiled for fixed shapes`,
                );
              }
              return v.data;
            });
          },
          times,
        ),
      );
      const outputs = this.outputSlots.map((slot, k) => {
        const v = replay.get(slot);
        if (v === undefined) throw new Error(`graph output '${g.outputs[k].name}' was never produced`);
        // An output in a buffer the program writes every run: the caller gets its own copy.
        if (isF32Tensor(v) && this.fixedBuffers.has(v.data.buffer)) return new Tensor(v.dtype, v.dims, v.data.slice());
        return v;
      });
      const keep = new Set<ArrayBufferLike>();
      for (const v of outputs) for (const t of tensorsOf(v)) if (!Array.isArray(t.data)) keep.add(t.data.buffer);
      this.pool.reclaim(keep);
      const timings: NodeTiming[] = [];
      if (times && callbackNs) {
        const start = Number(t0);
        steps.forEach((st, i) => {
          const ns = times[2 * i + 1] - times[2 * i];
          timings.push({ ...st.timing, ns, startNs: start + times[2 * i], kernelNs: st.kernel ? ns : callbackNs[i] });
        });
      }
      return { outputs, timings, kernelNs: kernelNs + callbackKernelNs };
    } finally {
      if (hold) native.releasePool();
      replay.end();
    }
  }
}
