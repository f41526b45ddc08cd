// Tiny GEMM throughput check: GFLOP/s of the selected fp32 variant (and the reference) per size
// and thread count. Usage: npx tsx scripts/bench-gemm.ts [--variant NAME] [--threads 1,2]
import { loadNative } from '../engine/native.js';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const native = loadNative();
const variant = opt('--variant') ?? 'auto';
const threadList = (opt('--threads') ?? '1,2').split(',').map(Number);
const sizes: [number, number, number][] = [
  [64, 64, 64],
  [128, 128, 128],
  [256, 256, 256],
  [512, 512, 512],
  [1024, 1024, 1024],
  [197, 768, 3072],
  [1, 4096, 4096],
];
const cpu = native.cpuInfo();
console.log(`${cpu.name} [${cpu.isa.join(',')}], variant ${variant}`);
console.log(['M', 'N', 'K', ...threadList.map((t) => `GFLOP/s@${t}t`), 'kernel'].join('\t'));
for (const [M, N, K] of sizes) {
  const a = new Float32Array(M * K).map((_, i) => (i % 7) - 3);
  const b = new Float32Array(K * N).map((_, i) => (i % 5) - 2);
  const c = new Float32Array(M * N);
  const row: (string | number)[] = [M, N, K];
  let kernel = '';
  for (const threads of threadList) {
    const flops = 2 * M * N * K;
    const reps = Math.max(3, Math.min(200, Math.round(2e9 / flops)));
    for (let i = 0; i < 2; i++) native.gemm(a, b, c, { M, N, K }, { variant, threads });
    let best = Infinity;
    for (let i = 0; i < reps; i++) {
      const r = native.gemm(a, b, c, { M, N, K }, { variant, threads });
      best = Math.min(best, r.ns);
      kernel = r.kernel;
    }
    row.push((flops / best).toFixed(1));
  }
  row.push(kernel);
  console.log(row.join('\t'));
}
