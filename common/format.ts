// Number formatting shared by the view models, the webview and the HTML report, so every place
// that shows a measured number shows it the same way (tests read these strings back).

/** "12.3 ms", "0.412 ms", "1234 ms": three significant digits, at least one decimal below 100. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '– ms';
  const abs = Math.abs(ms);
  if (abs === 0) return '0 ms';
  if (abs >= 100) return `${ms.toFixed(0)} ms`;
  if (abs >= 10) return `${ms.toFixed(1)} ms`;
  if (abs >= 1) return `${ms.toFixed(2)} ms`;
  if (abs >= 0.001) return `${ms.toFixed(3)} ms`;
  return `${(ms * 1000).toFixed(2)} µs`;
}

/** Share in [0, 1] -> "45.2%". */
export function formatShare(share: number): string {
  if (!Number.isFinite(share)) return '–%';
  return `${(share * 100).toFixed(1)}%`;
}

/** Speedup ratio -> "2.35x". */
export function formatSpeedup(ratio: number): string {
  if (!Number.isFinite(ratio) || ratio <= 0) return '–';
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio.toFixed(2)}x`;
}

/** "12.3 GFLOP/s"; zero (an op without arithmetic) reads as "–". */
export function formatGflops(gflops: number): string {
  if (!Number.isFinite(gflops) || gflops <= 0) return '–';
  if (gflops >= 100) return gflops.toFixed(0);
  if (gflops >= 1) return gflops.toFixed(1);
  return gflops.toFixed(3);
}

/** Input shapes -> "1x3x224x224, 64x3x7x7"; a missing (non-tensor) input reads as "-". */
export function formatShapes(shapes: (number[] | null)[] | undefined): string {
  if (!shapes || shapes.length === 0) return '';
  return shapes.map((s) => (s === null ? '-' : s.length === 0 ? 'scalar' : s.join('x'))).join(', ');
}

/** Plain counts with thousands separators, independent of the viewer's locale. */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
