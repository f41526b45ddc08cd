// Profiles a model in several execution modes and builds the `armml.profile/1` document.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Model } from './graph.js';
import { Plan, type NodeTiming } from './executor.js';
import type { Value } from './ops/types.js';
import type { NativeBackend } from './native.js';
import { latencyStats, median } from './stats.js';
import { compareOutputs, DEFAULT_TOLERANCE, type Tolerance } from './testdata/conformance.js';
import { bindInputs } from './inputs.js';
import { checkPassNames } from './compiler/compile.js';
import { graphMode } from './compiler/graph-mode.js';
// The document's types are the contract in common/profile.ts; re-exported for the engine's callers.
import { PROFILE_SCHEMA, type Mode, type ModeRun, type OpRow, type ProfileDoc, type TargetInfo, type TargetPeak, type TimelineEvent } from '../common/profile.js';

export { PROFILE_SCHEMA };
export type { ModeRun, OpRow, ProfileDoc, TargetInfo, TargetPeak, TimelineEvent };

/** Modes this build can run; the others of DESIGN.md are planned. */
export const AVAILABLE_MODES: readonly Mode[] = ['baseline', 'eager', 'graph'];
export const PLANNED_MODES = ['int8', 'int4', 'bf16'] as const;

export interface ProfileProgress {
  mode: Mode;
  phase: 'warmup' | 'timed';
  iter: number;
  of: number;
}

export interface ProfileOptions {
  modes: Mode[];
  threads: number;
  warmup: number;
  iters: number;
  inputs: Value[];
  /** Where the inputs came from, for the report ("test_data_set_0", "synthetic"…). */
  inputsLabel: string;
  references?: Value[];
  tolerance?: Tolerance;
  native: NativeBackend & { cpuInfo?: () => { name: string; vendor?: string; midr?: string; isa: string[]; cores?: number } };
  signal?: AbortSignal;
  onProgress?: (p: ProfileProgress) => void;
  toolVersion?: string;
  /** Graph-compiler passes to turn off (names from engine/compiler/compile.ts PASSES). */
  disabledPasses?: string[];
}

/** Roofs already measured, per backend and thread count: the agent profiles many models in one process. */
const measuredPeaks = new WeakMap<object, Map<number, TargetPeak>>();

/**
 * The roofs for the roofline: ~0.4 s of measurement the first time in a process for a thread
 * count, then that result again (nothing when the backend cannot measure, e.g. a test double).
 */
export function measureTargetPeak(native: ProfileOptions['native'], threads: number): TargetPeak | undefined {
  const known = measuredPeaks.get(native)?.get(threads);
  if (known) return known;
  try {
    if (typeof native.measurePeak !== 'function') return undefined;
    const p = native.measurePeak({ threads, ms: 200, bytes: 128 * 2 ** 20 });
    if (!(p.gflops > 0) || !(p.gbps > 0)) return undefined;
    const peak: TargetPeak = { gflops: p.gflops, gbps: p.gbps, threads: p.threads, measured_ms: p.measured_ms };
    if (!measuredPeaks.has(native)) measuredPeaks.set(native, new Map());
    measuredPeaks.get(native)!.set(threads, peak);
    return peak;
  } catch {
    return undefined;
  }
}

export function targetInfo(native: ProfileOptions['native']): TargetInfo {
  const cpu = native.cpuInfo?.() ?? { name: os.cpus()[0]?.model ?? 'unknown', isa: [] };
  return {
    host: os.hostname(),
    os: `${os.type()} ${os.release()}`,
    arch: process.arch,
    cpu: { name: cpu.name, vendor: cpu.vendor, ...(cpu.midr ? { midr: cpu.midr } : {}) },
    isa: cpu.isa,
    threads: os.availableParallelism(),
  };
}

/**
 * Kernel name -> its family in the addon's variant table. A composite name ("conv2d_f32_im2col+
 * matmul_f32_6x16_avx2_fma") takes the family of its last part the table knows; TypeScript ops
 * have none.
 */
export type KernelFamilies = (kernel: string) => string | undefined;

export function kernelFamilies(native: ProfileOptions['native']): KernelFamilies {
  const table = new Map<string, string>();
  for (const v of native.variants?.() ?? []) table.set(v.name, v.family);
  const memo = new Map<string, string | undefined>();
  return (kernel) => {
    if (!memo.has(kernel)) memo.set(kernel, kernel.split('+').reduce<string | undefined>((f, part) => table.get(part) ?? f, undefined));
    return memo.get(kernel);
  };
}

function aggregate(iterations: NodeTiming[][], families: KernelFamilies): OpRow[] {
  // Per node (and scope): the time of all its calls in one iteration, then the median over iterations.
  const perNode = new Map<string, { first: NodeTiming; ns: number[]; calls: number; flops: number; bytes: number }>();
  iterations.forEach((timings, it) => {
    for (const t of timings) {
      const key = `${t.scope}\u0000${t.node.name}`;
      let e = perNode.get(key);
      if (!e) {
        e = { first: t, ns: [], calls: 0, flops: 0, bytes: 0 };
        perNode.set(key, e);
      }
      if (e.ns.length <= it) e.ns.push(0);
      e.ns[it] += t.ns;
      if (it === 0) {
        e.calls++;
        e.flops += t.flops;
        e.bytes += t.bytes;
      }
    }
  });
  const rows: OpRow[] = [];
  for (const e of perNode.values()) {
    const ms = median(e.ns) / 1e6;
    const t = e.first;
    rows.push({
      node: t.node.name,
      op: t.node.fused ? t.node.fused.ops.join('+') : t.node.domain ? `${t.node.domain}.${t.node.opType}` : t.node.opType,
      kernel: t.kernel,
      ...withFamily(families(t.kernel)),
      isa: t.isa,
      calls: e.calls,
      ms,
      share: 0,
      flops: e.flops,
      bytes: e.bytes,
      gflops: ms > 0 ? e.flops / (ms * 1e6) : 0,
      shapes: t.inputShapes,
      ...(t.scope ? { scope: t.scope } : {}),
      ...(t.node.fused ? { fused: t.node.fused.nodes } : {}),
    });
  }
  const total = rows.reduce((a, r) => a + r.ms, 0);
  for (const r of rows) r.share = total > 0 ? r.ms / total : 0;
  return rows.sort((a, b) => b.ms - a.ms);
}

const withFamily = (family: string | undefined) => (family ? { kernel_family: family } : {});

function timelineOf(timings: NodeTiming[], families: KernelFamilies): TimelineEvent[] {
  const t0 = timings.length ? Math.min(...timings.map((t) => t.startNs)) : 0;
  return timings.map((t) => ({
    node: t.node.name,
    op: t.node.opType,
    kernel: t.kernel,
    ...withFamily(families(t.kernel)),
    ...(t.scope ? { scope: t.scope } : {}),
    start_ms: (t.startNs - t0) / 1e6,
    dur_ms: t.ns / 1e6,
  }));
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export function fileSha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export async function profileModel(model: Model, opts: ProfileOptions): Promise<ProfileDoc> {
  for (const m of opts.modes) {
    if (!AVAILABLE_MODES.includes(m)) {
      throw new Error(`mode '${m}' is not available in this build (available: ${AVAILABLE_MODES.join(', ')}; planned: ${PLANNED_MODES.join(', ')})`);
    }
  }
  if (opts.iters < 1) throw new Error('--iters must be at least 1');
  const plan = new Plan(model);
  bindInputs(model.graph, opts.inputs);
  const tol = opts.tolerance ?? DEFAULT_TOLERANCE;
  const outputNames = model.graph.outputs.map((o) => o.name);
  let reference = opts.references;
  const checkedAgainst: ModeRun['checked_against'] = reference ? 'reference' : 'baseline';
  if (!reference) {
    reference = plan.run(opts.inputs, { mode: 'baseline', threads: 1, native: opts.native, signal: opts.signal }).outputs;
  }
  checkPassNames(opts.disabledPasses ?? []);
  const runs: ModeRun[] = [];
  const families = kernelFamilies(opts.native);
  let modelFlops = 0;
  for (const mode of opts.modes) {
    const threads = mode === 'baseline' ? 1 : opts.threads;
    // Graph mode runs the compiled graph on eager's kernels (ops see 'eager').
    const graph = mode === 'graph' ? graphMode(model, opts.inputs, { threads, native: opts.native, signal: opts.signal, disabled: opts.disabledPasses, plan }) : undefined;
    const modePlan = graph ? graph.program : plan;
    const runOpts = { mode: graph ? ('eager' as const) : mode, threads, native: opts.native, signal: opts.signal };
    let outputs: Value[] = [];
    for (let i = 0; i < opts.warmup; i++) {
      opts.onProgress?.({ mode, phase: 'warmup', iter: i + 1, of: opts.warmup });
      await tick();
      outputs = modePlan.run(opts.inputs, runOpts).outputs;
    }
    const latencies: number[] = [];
    const iterations: NodeTiming[][] = [];
    for (let i = 0; i < opts.iters; i++) {
      opts.onProgress?.({ mode, phase: 'timed', iter: i + 1, of: opts.iters });
      await tick();
      const t0 = process.hrtime.bigint();
      const r = modePlan.run(opts.inputs, { ...runOpts, timings: true });
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      iterations.push(r.timings);
      outputs = r.outputs;
    }
    const medianIter = latencies.indexOf(latencies.slice().sort((a, b) => a - b)[Math.floor((latencies.length - 1) / 2)]);
    const cmp = compareOutputs(outputs, reference, tol, outputNames);
    const ops = aggregate(iterations, families);
    modelFlops = Math.max(modelFlops, ops.reduce((a, r) => a + r.flops, 0));
    runs.push({
      mode,
      threads,
      latency_ms: latencyStats(latencies),
      outputs_ok: cmp.ok,
      max_abs_err: Number.isFinite(cmp.maxAbsErr) ? cmp.maxAbsErr : -1,
      checked_against: checkedAgainst,
      ...(cmp.ok ? {} : { error: cmp.reason }),
      ops,
      timeline: timelineOf(iterations[medianIter], families),
      ...(graph
        ? {
            nodes: graph.model.graph.nodes.length,
            passes: graph.log,
            memory: { arena_bytes: graph.memory.arena_bytes, peak_live_bytes: graph.memory.peak_live_bytes, values: graph.memory.values, unplanned: graph.memory.unplanned },
            program: graph.program.info,
          }
        : {}),
    });
  }
  const peak = measureTargetPeak(opts.native, opts.threads);
  // Weights live in initializers or, in some exporters' files, in Constant nodes.
  let params = 0;
  for (const t of model.graph.initializers.values()) params += t.size;
  for (const n of model.graph.nodes) if (n.opType === 'Constant' && n.attrs.value?.type === 'tensor') params += n.attrs.value.value.size;
  return {
    schema: PROFILE_SCHEMA,
    tool: { name: 'armml', version: opts.toolVersion ?? '0.0.0' },
    created: new Date().toISOString(),
    target: { ...targetInfo(opts.native), ...(peak ? { peak } : {}) },
    model: {
      path: model.path,
      name: modelDisplayName(model.path),
      sha256: fileSha256(model.path),
      nodes: model.graph.nodes.length,
      params,
      flops: modelFlops,
      ...(model.producer ? { producer: model.producer } : {}),
      opsets: Object.fromEntries([...model.opsets].map(([d, v]) => [d || 'ai.onnx', v])),
    },
    settings: { warmup: opts.warmup, iters: opts.iters, inputs: opts.inputsLabel },
    runs,
  };
}

/** `resnet/model.onnx` -> `resnet`; `foo.onnx` -> `foo`. */
export function modelDisplayName(file: string): string {
  const base = path.basename(file, '.onnx');
  return base === 'model' ? path.basename(path.dirname(file)) : base;
}
