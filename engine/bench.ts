// Kernel throughput against the roofs measured in the same run (`armml bench`, bench/kernels.ts).
// Every number is the median of several timed calls, read from the addon's own kernel timer.
import type { NativeBackend, PeakInfo, PeakOptions, RunOptions } from './native.js';
import { median } from './stats.js';

export const BENCH_KINDS = ['gemm', 'conv', 'depthwise', 'gemv', 'bandwidth'] as const;
export type BenchKind = (typeof BENCH_KINDS)[number];

export interface BenchOptions {
  /** Thread counts to run every case at (the peak is measured at the largest). */
  threads: number[];
  /** Time to spend per case and thread count, milliseconds (median of at least 3 calls). */
  caseMs?: number;
  /** Budget of the peak measurement, milliseconds. */
  peakMs?: number;
  /** Fewer and smaller cases, for tests and smoke runs. */
  quick?: boolean;
}

/** GEMM-shaped throughput row (conv rows give their implicit GEMM's m, n, k). */
export interface ComputeResult {
  m: number;
  n: number;
  k: number;
  threads: number;
  gflops: number;
  /** Fraction of the measured FMA peak at this thread count. */
  pct_peak: number;
  kernel: string;
  ms: number;
  /** Conv layers: what the shape is. */
  layer?: string;
  /** Above one thread: time at 1 thread / time at this count, same case, same run (when 1 thread ran). */
  speedup?: number;
}

/**
 * Depthwise rows: the implicit GEMM per channel (m = 1, n = outH*outW, k = kH*kW), plus the
 * roofline. A depthwise layer does 2*k flops per output and moves each input, output and weight
 * once, so its bound is usually bandwidth: roof = min(FMA peak, read bandwidth x intensity).
 */
export interface DepthwiseResult extends ComputeResult {
  layer: string;
  /** Bytes a call has to move at least: input, output and weights once. */
  bytes: number;
  /** flops / bytes. */
  intensity: number;
  /** min(FMA peak at this thread count, measured read bandwidth x intensity), GFLOP/s. */
  roof_gflops: number;
  /** gflops / roof_gflops. Above 1 when the layer's tensors stay in cache between calls. */
  pct_roof: number;
}

export interface BandwidthResult {
  case: string;
  /** Bytes moved per call (reads + writes). */
  bytes: number;
  threads: number;
  gbps: number;
  /** Fraction of the measured read bandwidth. */
  pct_bandwidth: number;
  kernel: string;
  ms: number;
}

/** A matrix-vector row (M < 4): memory-bound, so judged against the read bandwidth first. */
export interface GemvResult {
  m: number;
  n: number;
  k: number;
  /** B is N x K (the Linear weight layout) rather than K x N. */
  transB: boolean;
  /** Bytes moved per call: B and A read, C written. */
  bytes: number;
  threads: number;
  gbps: number;
  /** Fraction of the measured read bandwidth. */
  pct_bandwidth: number;
  gflops: number;
  /** Fraction of the roofline at this thread count: min(FMA peak, flops per byte x read bandwidth). */
  pct_roof: number;
  kernel: string;
  ms: number;
  /** Above one thread: time at 1 thread / time at this count, same case, same run. */
  speedup?: number;
}

export interface BenchReport {
  kind: BenchKind;
  peak: { gflops: number; gbps: number; gflops_per_thread: number; threads: number; kernel: string; isa: string };
  results: (ComputeResult | DepthwiseResult | BandwidthResult | GemvResult)[];
}

export function isBenchKind(v: string): v is BenchKind {
  return (BENCH_KINDS as readonly string[]).includes(v);
}

/** Peak GFLOP/s expected at `threads`: measured at 1 and at the largest count, linear in between. */
function peakAt(peak: PeakInfo, threads: number): number {
  if (threads >= peak.threads) return peak.gflops;
  if (threads <= 1) return peak.gflops_per_thread;
  return Math.min(peak.gflops, threads * peak.gflops_per_thread);
}

/**
 * Median kernel time of `call` in ns: one warm-up, then calls until caseMs is spent (3 to 50
 * calls). At several threads the pool is held as a model run holds it (its workers spin between
 * calls), so a kernel is measured as it runs inside a model, where the sizes its threading
 * decisions see are the same.
 */
function timeCall(call: () => { ns: number; kernel: string }, caseMs: number, native: NativeBackend, threads: number): { ns: number; kernel: string } {
  if (threads > 1) native.holdPool(threads);
  try {
    const first = call();
    const ns: number[] = [];
    let spent = 0;
    while (ns.length < 3 || (spent < caseMs * 1e6 && ns.length < 50)) {
      const r = call();
      ns.push(r.ns);
      spent += r.ns;
    }
    return { ns: median(ns), kernel: first.kernel };
  } finally {
    if (threads > 1) native.releasePool();
  }
}

function filled(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (((i * 7 + seed) % 13) - 6) / 8;
  return a;
}

const GEMM_SHAPES: [number, number, number][] = [
  [64, 64, 64],
  [128, 128, 128],
  [256, 256, 256],
  [512, 512, 512],
  [1024, 1024, 1024],
  [197, 768, 3072],
  [6, 1024, 1024],
];
/** Small enough for the naive reference to finish quickly (and for --quick runs). */
const small = ([m, n, k]: [number, number, number]) => Math.max(m, n, k) <= 256;

function benchGemm(native: NativeBackend, peak: PeakInfo, o: Required<BenchOptions>): ComputeResult[] {
  const shapes = o.quick ? GEMM_SHAPES.filter(small) : GEMM_SHAPES;
  const out: ComputeResult[] = [];
  for (const [M, N, K] of shapes) {
    const a = filled(M * K, 1);
    const b = filled(K * N, 2);
    const c = new Float32Array(M * N);
    const variants = small([M, N, K]) ? ['auto', 'reference'] : ['auto'];
    for (const variant of variants) {
      for (const threads of o.threads) {
        const opts: RunOptions = { variant, threads };
        const t = timeCall(() => native.gemm(a, b, c, { M, N, K }, opts), o.caseMs, native, threads);
        const gflops = (2 * M * N * K) / t.ns;
        out.push({ m: M, n: N, k: K, threads, gflops, pct_peak: gflops / peakAt(peak, threads), kernel: t.kernel, ms: t.ns / 1e6 });
      }
    }
  }
  return out;
}

interface ConvLayer {
  layer: string;
  C: number;
  M: number;
  HW: number;
  k: number;
  stride: number;
  group?: number;
}

// The distinct convolutions of ResNet-18 (every 3x3, the stem and the 1x1 stride-2 shortcuts) and
// the pointwise (1x1) convolutions of MobileNet-v2 and EfficientNet-B0 at batch 1, 224x224 input;
// their depthwise layers are the `depthwise` kind's.
const CONV_LAYERS: ConvLayer[] = [
  { layer: 'ResNet-18 stem 7x7 s2 3->64 224', C: 3, M: 64, HW: 224, k: 7, stride: 2 },
  { layer: 'ResNet-18 3x3 s1 64->64 56', C: 64, M: 64, HW: 56, k: 3, stride: 1 },
  { layer: 'ResNet-18 3x3 s2 64->128 56', C: 64, M: 128, HW: 56, k: 3, stride: 2 },
  { layer: 'ResNet-18 3x3 s1 128->128 28', C: 128, M: 128, HW: 28, k: 3, stride: 1 },
  { layer: 'ResNet-18 1x1 s2 64->128 56', C: 64, M: 128, HW: 56, k: 1, stride: 2 },
  { layer: 'ResNet-18 3x3 s2 128->256 28', C: 128, M: 256, HW: 28, k: 3, stride: 2 },
  { layer: 'ResNet-18 3x3 s1 256->256 14', C: 256, M: 256, HW: 14, k: 3, stride: 1 },
  { layer: 'ResNet-18 1x1 s2 128->256 28', C: 128, M: 256, HW: 28, k: 1, stride: 2 },
  { layer: 'ResNet-18 3x3 s2 256->512 14', C: 256, M: 512, HW: 14, k: 3, stride: 2 },
  { layer: 'ResNet-18 3x3 s1 512->512 7', C: 512, M: 512, HW: 7, k: 3, stride: 1 },
  { layer: 'ResNet-18 1x1 s2 256->512 14', C: 256, M: 512, HW: 14, k: 1, stride: 2 },
  { layer: 'MobileNet-v2 1x1 16->96 112', C: 16, M: 96, HW: 112, k: 1, stride: 1 },
  { layer: 'MobileNet-v2 1x1 144->24 56', C: 144, M: 24, HW: 56, k: 1, stride: 1 },
  { layer: 'MobileNet-v2 1x1 32->192 28', C: 32, M: 192, HW: 28, k: 1, stride: 1 },
  { layer: 'MobileNet-v2 1x1 384->64 14', C: 384, M: 64, HW: 14, k: 1, stride: 1 },
  { layer: 'MobileNet-v2 1x1 576->96 14', C: 576, M: 96, HW: 14, k: 1, stride: 1 },
  { layer: 'MobileNet-v2 1x1 960->160 7', C: 960, M: 160, HW: 7, k: 1, stride: 1 },
  { layer: 'MobileNet-v2 1x1 320->1280 7', C: 320, M: 1280, HW: 7, k: 1, stride: 1 },
  { layer: 'EfficientNet-B0 stem 3x3 s2 3->32 224', C: 3, M: 32, HW: 224, k: 3, stride: 2 },
  { layer: 'EfficientNet-B0 1x1 96->24 56', C: 96, M: 24, HW: 56, k: 1, stride: 1 },
  { layer: 'EfficientNet-B0 1x1 144->40 28', C: 144, M: 40, HW: 28, k: 1, stride: 1 },
  { layer: 'EfficientNet-B0 1x1 240->80 14', C: 240, M: 80, HW: 14, k: 1, stride: 1 },
  { layer: 'EfficientNet-B0 1x1 480->112 14', C: 480, M: 112, HW: 14, k: 1, stride: 1 },
  { layer: 'EfficientNet-B0 1x1 672->192 7', C: 672, M: 192, HW: 7, k: 1, stride: 1 },
  { layer: 'EfficientNet-B0 1x1 1152->320 7', C: 1152, M: 320, HW: 7, k: 1, stride: 1 },
];

function benchConv(native: NativeBackend, peak: PeakInfo, o: Required<BenchOptions>): ComputeResult[] {
  const layers = o.quick ? CONV_LAYERS.filter((l) => l.HW <= 28 && l.C * l.M <= 128 * 128) : CONV_LAYERS;
  const out: ComputeResult[] = [];
  for (const l of layers) {
    const group = l.group ?? 1;
    const pad = Math.floor(l.k / 2);
    const outHW = Math.floor((l.HW + 2 * pad - l.k) / l.stride) + 1;
    const x = filled(l.C * l.HW * l.HW, 3);
    const w = filled((l.M * l.C * l.k * l.k) / group, 4);
    const bias = filled(l.M, 5);
    const y = new Float32Array(l.M * outHW * outHW);
    const params = { N: 1, C: l.C, H: l.HW, W: l.HW, M: l.M, kH: l.k, kW: l.k, strideH: l.stride, strideW: l.stride, padT: pad, padL: pad, padB: pad, padR: pad, group, outH: outHW, outW: outHW };
    // The implicit GEMM per group: (M/g) x (outH*outW) x (C/g*kH*kW), g times.
    const m = l.M / group;
    const n = outHW * outHW;
    const k = (l.C / group) * l.k * l.k;
    for (const threads of o.threads) {
      const t = timeCall(() => native.conv2d(x, w, bias, y, params, { threads }), o.caseMs, native, threads);
      const gflops = (2 * group * m * n * k) / t.ns;
      out.push({ layer: l.layer, m, n, k, threads, gflops, pct_peak: gflops / peakAt(peak, threads), kernel: t.kernel, ms: t.ns / 1e6 });
    }
  }
  return out;
}

interface DepthwiseLayer {
  layer: string;
  C: number;
  HW: number;
  k: number;
  stride: number;
}

/** Depthwise layers of MobileNet-v2 and EfficientNet-B0 (224x224 input), 3x3 and 5x5, stride 1 and 2. */
const DEPTHWISE_LAYERS: DepthwiseLayer[] = [
  { layer: 'MobileNet-v2 3x3 s1 32ch 112x112', C: 32, HW: 112, k: 3, stride: 1 },
  { layer: 'MobileNet-v2 3x3 s2 96ch 112x112', C: 96, HW: 112, k: 3, stride: 2 },
  { layer: 'MobileNet-v2 3x3 s1 144ch 56x56', C: 144, HW: 56, k: 3, stride: 1 },
  { layer: 'MobileNet-v2 3x3 s2 144ch 56x56', C: 144, HW: 56, k: 3, stride: 2 },
  { layer: 'MobileNet-v2 3x3 s1 192ch 28x28', C: 192, HW: 28, k: 3, stride: 1 },
  { layer: 'MobileNet-v2 3x3 s2 576ch 14x14', C: 576, HW: 14, k: 3, stride: 2 },
  { layer: 'MobileNet-v2 3x3 s1 960ch 7x7', C: 960, HW: 7, k: 3, stride: 1 },
  { layer: 'EfficientNet-B0 5x5 s2 144ch 56x56', C: 144, HW: 56, k: 5, stride: 2 },
  { layer: 'EfficientNet-B0 5x5 s1 240ch 28x28', C: 240, HW: 28, k: 5, stride: 1 },
  { layer: 'EfficientNet-B0 3x3 s2 240ch 28x28', C: 240, HW: 28, k: 3, stride: 2 },
  { layer: 'EfficientNet-B0 5x5 s1 480ch 14x14', C: 480, HW: 14, k: 5, stride: 1 },
  { layer: 'EfficientNet-B0 5x5 s2 672ch 14x14', C: 672, HW: 14, k: 5, stride: 2 },
  { layer: 'EfficientNet-B0 5x5 s1 1152ch 7x7', C: 1152, HW: 7, k: 5, stride: 1 },
];

function benchDepthwise(native: NativeBackend, peak: PeakInfo, o: Required<BenchOptions>): DepthwiseResult[] {
  const quickSet = new Set(['MobileNet-v2 3x3 s1 144ch 56x56', 'MobileNet-v2 3x3 s1 960ch 7x7', 'EfficientNet-B0 5x5 s1 480ch 14x14']);
  const layers = o.quick ? DEPTHWISE_LAYERS.filter((l) => quickSet.has(l.layer)) : DEPTHWISE_LAYERS;
  const out: DepthwiseResult[] = [];
  for (const l of layers) {
    const pad = Math.floor(l.k / 2);
    const outHW = Math.floor((l.HW + 2 * pad - l.k) / l.stride) + 1;
    const x = filled(l.C * l.HW * l.HW, 3);
    const w = filled(l.C * l.k * l.k, 4);
    const bias = filled(l.C, 5);
    const y = new Float32Array(l.C * outHW * outHW);
    const params = { N: 1, C: l.C, H: l.HW, W: l.HW, M: l.C, kH: l.k, kW: l.k, strideH: l.stride, strideW: l.stride, padT: pad, padL: pad, padB: pad, padR: pad, group: l.C, outH: outHW, outW: outHW };
    const n = outHW * outHW;
    const k = l.k * l.k;
    const flops = 2 * l.C * n * k;
    const bytes = 4 * (x.length + y.length + w.length);
    const intensity = flops / bytes;
    for (const threads of o.threads) {
      const t = timeCall(() => native.conv2d(x, w, bias, y, params, { threads }), o.caseMs, native, threads);
      const gflops = flops / t.ns;
      const roof = Math.min(peakAt(peak, threads), peak.gbps * intensity);
      out.push({ layer: l.layer, m: 1, n, k, threads, gflops, pct_peak: gflops / peakAt(peak, threads), kernel: t.kernel, ms: t.ns / 1e6, bytes, intensity, roof_gflops: roof, pct_roof: gflops / roof });
    }
  }
  return out;
}

function benchBandwidth(native: NativeBackend, peak: PeakInfo, o: Required<BenchOptions>): BandwidthResult[] {
  const n = o.quick ? 4 << 20 : 16 << 20; // floats per operand: 16M = 64 MB, well past the LLC
  const a = filled(n, 6);
  const b = filled(n, 7);
  const y = new Float32Array(n);
  const rows = { n, startsA: Int32Array.of(0), stepA: 1, startsB: Int32Array.of(0), stepB: 1 };
  // In cache: a kernel this short is where handing work to a second thread costs the most.
  const small = 1 << 17;
  const smallRows = { ...rows, n: small };
  // The example's largest BatchNormalization, 96 channels of 80x80, as one ScaleShift pass.
  const [bnC, bnPlane] = [96, 80 * 80];
  const bnRows = { n: bnPlane, startsA: Int32Array.from({ length: bnC }, (_, c) => c * bnPlane), stepA: 1, startsB: Int32Array.from({ length: bnC }, (_, c) => 2 * c), stepB: 0 };
  const bnPairs = filled(2 * bnC, 10);
  const cases: { name: string; bytes: number; call: (threads: number) => { ns: number; kernel: string } }[] = [
    { name: `Add ${n >> 20}M floats`, bytes: 12 * n, call: (threads) => native.binary('Add', a, b, y, rows, { threads }) },
    { name: `Add ${small >> 10}K floats (in cache)`, bytes: 12 * small, call: (threads) => native.binary('Add', a, b, y, smallRows, { threads }) },
    { name: `BatchNorm ScaleShift ${bnC}x80x80`, bytes: 8 * bnC * bnPlane, call: (threads) => native.binary('ScaleShift', a, bnPairs, y, bnRows, { threads }) },
    { name: `Relu ${n >> 20}M floats`, bytes: 8 * n, call: (threads) => native.unary('Relu', a, y, 0, 0, { threads }) },
  ];
  const out: BandwidthResult[] = [];
  for (const c of cases) {
    for (const threads of o.threads) {
      const t = timeCall(() => c.call(threads), o.caseMs, native, threads);
      const gbps = c.bytes / t.ns;
      out.push({ case: c.name, bytes: c.bytes, threads, gbps, pct_bandwidth: gbps / peak.gbps, kernel: t.kernel, ms: t.ns / 1e6 });
    }
  }
  return out;
}

// Decoder-style products, [M, N, K, transB]: a 4096-wide square layer in both B layouts, then
// Linear layers as stored (N x K): a Llama-7B MLP down projection, a BERT-base FFN output and a
// 2048-wide model's MLP.
const GEMV_SHAPES: [number, number, number, boolean][] = [
  [1, 4096, 4096, false],
  [1, 4096, 4096, true],
  [1, 4096, 11008, true],
  [1, 768, 3072, true],
  [1, 2048, 8192, true],
];
const GEMV_QUICK: [number, number, number, boolean][] = [
  [1, 1024, 1024, false],
  [1, 1024, 1024, true],
  [1, 768, 3072, true],
];

function benchGemv(native: NativeBackend, peak: PeakInfo, o: Required<BenchOptions>): GemvResult[] {
  const out: GemvResult[] = [];
  for (const [M, N, K, transB] of o.quick ? GEMV_QUICK : GEMV_SHAPES) {
    const a = filled(M * K, 8);
    const b = filled(K * N, 9);
    const c = new Float32Array(M * N);
    const bytes = 4 * (K * N + M * K + M * N);
    for (const threads of o.threads) {
      const t = timeCall(() => native.gemm(a, b, c, { M, N, K, transB }, { threads }), o.caseMs, native, threads);
      const gbps = bytes / t.ns;
      const gflops = (2 * M * N * K) / t.ns;
      const roof = Math.min(peakAt(peak, threads), ((2 * M * N * K) / bytes) * peak.gbps);
      out.push({ m: M, n: N, k: K, transB, bytes, threads, gbps, pct_bandwidth: gbps / peak.gbps, gflops, pct_roof: gflops / roof, kernel: t.kernel, ms: t.ns / 1e6 });
    }
  }
  return out;
}

/**
 * The roofs as the best of three probes: on a shared VM one probe can lose a whole vCPU to a
 * neighbour (an all-threads FMA peak measured at half its value once), which would put kernels
 * above 100% of "peak". What the machine can do is what it did at its best.
 */
function steadiestPeak(native: NativeBackend, opts: PeakOptions): PeakInfo {
  const probes = [0, 1, 2].map(() => native.measurePeak(opts));
  const best = probes.reduce((a, b) => (b.gflops > a.gflops ? b : a));
  return {
    ...best,
    gflops_per_thread: Math.max(...probes.map((p) => p.gflops_per_thread)),
    gbps: Math.max(...probes.map((p) => p.gbps)),
  };
}

/** Speedup of each multi-threaded compute row over the same case (shape, layer, kernel) at 1 thread. */
function addSpeedups(results: (ComputeResult | DepthwiseResult | BandwidthResult | GemvResult)[]): void {
  type Timed = ComputeResult | DepthwiseResult | GemvResult;
  const key = (x: Timed) => `${'layer' in x ? (x.layer ?? '') : ''}|${x.m}x${x.n}x${x.k}|${'transB' in x ? x.transB : ''}|${x.kernel}`;
  const timed = results.filter((x): x is Timed => 'm' in x);
  const single = new Map(timed.filter((x) => x.threads === 1).map((x) => [key(x), x]));
  for (const x of timed) {
    const one = x.threads === 1 ? undefined : single.get(key(x));
    if (one) x.speedup = one.ms / x.ms;
  }
}

/** Measures the roofs, then runs the kind's cases at each thread count. */
export function runBench(native: NativeBackend, kind: BenchKind, opts: BenchOptions): BenchReport {
  if (!isBenchKind(kind)) throw new Error(`unknown bench kind '${String(kind)}' (available: ${BENCH_KINDS.join(', ')})`);
  const threads = [...new Set(opts.threads)].sort((x, y) => x - y);
  if (threads.length === 0 || threads.some((t) => !Number.isInteger(t) || t < 1)) throw new Error('threads must be positive integers');
  const o: Required<BenchOptions> = { threads, quick: opts.quick ?? false, caseMs: opts.caseMs ?? (opts.quick ? 20 : 200), peakMs: opts.peakMs ?? (opts.quick ? 100 : 400) };
  const peak = steadiestPeak(native, { threads: threads[threads.length - 1], ms: o.peakMs, bytes: (o.quick ? 128 : 256) * 2 ** 20 });
  const run = { gemm: benchGemm, conv: benchConv, depthwise: benchDepthwise, bandwidth: benchBandwidth, gemv: benchGemv }[kind];
  const results = run(native, peak, o);
  addSpeedups(results);
  return {
    kind,
    peak: { gflops: peak.gflops, gbps: peak.gbps, gflops_per_thread: peak.gflops_per_thread, threads: peak.threads, kernel: peak.kernel, isa: peak.isa },
    results,
  };
}

/** The report as a header row and string rows, for terminal and Markdown tables. */
export function benchRows(r: BenchReport): { headers: string[]; rows: string[][] } {
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  if (r.kind === 'bandwidth') {
    const rows = (r.results as BandwidthResult[]).map((x) => [x.case, String(x.threads), x.gbps.toFixed(1), pct(x.pct_bandwidth), x.ms.toFixed(3), x.kernel]);
    return { headers: ['case', 'threads', 'GB/s', '% bandwidth', 'ms', 'kernel'], rows };
  }
  if (r.kind === 'gemv') {
    const rows = (r.results as GemvResult[]).map((x) => [
      `${x.m}x${x.n}x${x.k}`,
      x.transB ? 'NxK' : 'KxN',
      String(x.threads),
      x.gbps.toFixed(1),
      pct(x.pct_bandwidth),
      x.gflops.toFixed(1),
      pct(x.pct_roof),
      x.ms.toFixed(3),
      x.kernel,
    ]);
    return { headers: ['MxNxK', 'B', 'threads', 'GB/s', '% bandwidth', 'GFLOP/s', '% roof', 'ms', 'kernel'], rows };
  }
  if (r.kind === 'depthwise') {
    const rows = (r.results as DepthwiseResult[]).map((x) => [x.layer, `${x.m}x${x.n}x${x.k}`, String(x.threads), x.gflops.toFixed(1), pct(x.pct_peak), x.intensity.toFixed(2), x.roof_gflops.toFixed(1), pct(x.pct_roof), x.ms.toFixed(3), x.kernel]);
    return { headers: ['layer', 'MxNxK', 'threads', 'GFLOP/s', '% peak', 'flop/byte', 'roof GFLOP/s', '% roof', 'ms', 'kernel'], rows };
  }
  const results = r.results as ComputeResult[];
  const shape = (x: ComputeResult) => (x.layer ? [x.layer] : []).concat(`${x.m}x${x.n}x${x.k}`);
  const rows = results.map((x) => [...shape(x), String(x.threads), x.gflops.toFixed(1), pct(x.pct_peak), x.speedup === undefined ? '' : `${x.speedup.toFixed(2)}x`, x.ms.toFixed(3), x.kernel]);
  return { headers: [...(r.kind === 'conv' ? ['layer'] : []), 'MxNxK', 'threads', 'GFLOP/s', '% peak', 'vs 1 thread', 'ms', 'kernel'], rows };
}

/** One line naming the roofs the percentages are relative to. */
export function peakLine(r: BenchReport): string {
  const p = r.peak;
  return `peak (${p.kernel}): ${p.gflops_per_thread.toFixed(1)} GFLOP/s per thread, ${p.gflops.toFixed(1)} GFLOP/s and ${p.gbps.toFixed(1)} GB/s read at ${p.threads} thread(s)`;
}
