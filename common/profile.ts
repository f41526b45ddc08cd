// The armml.profile/1 contract: what a profile document holds, shared by the engine that writes
// it, the agent protocol, the CLI, the extension and the webviews. It depends on nothing; the
// JSON Schema in schema/armml.profile-1.schema.json is kept in step with it (a test validates
// written profiles against the schema).

export const PROFILE_SCHEMA = 'armml.profile/1';

/**
 * How a model runs. Ops see 'baseline' (the reference TypeScript loops) or 'eager' (native
 * kernels); 'graph' runs the compiled graph (engine/compiler) with eager's kernels, so ops never
 * see it. The quantized modes are planned.
 */
export type Mode = 'baseline' | 'eager' | 'graph';

/** Latency over timed runs, milliseconds (or any unit the caller gives). */
export interface LatencyStats {
  n: number;
  median: number;
  p10: number;
  p90: number;
  min: number;
}

/** One pass's line in the profile's pass log. */
export interface PassLogEntry {
  pass: string;
  /** False when turned off (--disable-pass); the counts are then equal and notes empty. */
  enabled: boolean;
  nodes_before: number;
  nodes_after: number;
  changes: number;
  notes: string[];
  ms: number;
}

/** Graph mode's static memory plan: one arena for every intermediate value of a run. */
export interface MemoryPlanInfo {
  /** Bytes of the arena with every value at its planned offset. */
  arena_bytes: number;
  /** Most bytes alive at once (the floor for any placement). */
  peak_live_bytes: number;
  /** Values placed in the arena, and values left out (no size known). */
  values: number;
  unplanned: number;
}

/**
 * Graph mode's native program: one step per compiled node, run in one addon call. Kernel steps
 * are prepared kernel calls the addon runs itself; callback steps run their op in JS.
 */
export interface ProgramInfo {
  steps: number;
  kernel_steps: number;
  callback_steps: number;
  /** Callback steps by op type. */
  callbacks: Record<string, number>;
}

export interface OpRow {
  node: string;
  op: string;
  kernel: string;
  /** The kernel's family in the addon's variant table ("matmul_f32", "pool2d_f32"); absent for TypeScript ops. */
  kernel_family?: string;
  isa: string;
  /** Calls per iteration (more than 1 inside loops). */
  calls: number;
  /** Median time per iteration, milliseconds. */
  ms: number;
  /** Fraction of the run's summed op time. */
  share: number;
  flops: number;
  bytes: number;
  gflops: number;
  shapes: (number[] | null)[];
  /** Enclosing subgraph owners (If/Loop/Scan), when the node is inside one. */
  scope?: string;
  /**
   * Graph mode: the file's nodes this step stands for when the compiler fused several (the first
   * is `node`); `op` then joins their op types ("Conv+BatchNormalization+Relu").
   */
  fused?: string[];
  source?: string;
}

export interface ModeRun {
  mode: Mode;
  threads: number;
  latency_ms: LatencyStats;
  outputs_ok: boolean;
  max_abs_err: number;
  /** What the outputs were checked against. */
  checked_against: 'reference' | 'baseline';
  error?: string;
  ops: OpRow[];
  /** One iteration (the one of median latency), node by node, for timelines and traces. */
  timeline: TimelineEvent[];
  /** Graph mode: the nodes of the compiled graph, and what each compiler pass did. */
  nodes?: number;
  passes?: PassLogEntry[];
  memory?: MemoryPlanInfo;
  program?: ProgramInfo;
}

export interface TimelineEvent {
  node: string;
  op: string;
  kernel: string;
  /** As OpRow.kernel_family. */
  kernel_family?: string;
  scope?: string;
  start_ms: number;
  dur_ms: number;
}

export interface TargetInfo {
  host: string;
  os: string;
  arch: string;
  cpu: { name: string; vendor?: string; midr?: string };
  isa: string[];
  threads: number;
  /** Roofs measured on this machine during the run, at the optimized modes' thread count. */
  peak?: TargetPeak;
}

export interface TargetPeak {
  /** fp32 FMA peak, GFLOP/s, all `threads` together. */
  gflops: number;
  /** Memory read bandwidth, GB/s, all `threads` together. */
  gbps: number;
  threads: number;
  measured_ms: number;
}

export interface ProfileDoc {
  schema: typeof PROFILE_SCHEMA;
  tool: { name: string; version: string };
  created: string;
  target: TargetInfo;
  model: {
    path: string;
    name: string;
    sha256: string;
    nodes: number;
    params: number;
    flops: number;
    producer?: string;
    opsets: Record<string, number>;
  };
  settings: { warmup: number; iters: number; inputs: string };
  runs: ModeRun[];
}

export interface CpuInfo {
  arch: string;
  vendor: string;
  name: string;
  /** AArch64 MIDR_EL1 as hex, e.g. `0x414fd0c1`. */
  midr?: string;
  /** e.g. ['avx2', 'fma'] or ['neon', 'dotprod', 'i8mm', 'bf16', 'sve', 'sve2']. */
  isa: string[];
  cores: number;
}

export interface KernelVariantInfo {
  name: string;
  family: string;
  isa: string;
  mr: number;
  nr: number;
  kr: number;
  sr: number;
  reference: boolean;
  supported: boolean;
  selected: boolean;
}
