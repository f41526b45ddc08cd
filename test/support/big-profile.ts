// A synthetic profile with many op rows, shared by the report test (test/report.test.ts) and the
// UI benchmark (bench/ui.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { OpRow, ProfileDoc, TimelineEvent } from '../../engine/profile.js';
import { ROOT } from './paths.js';

/** A profile with `n` op rows and timeline events, like a big transformer with unrolled loops. */
export function bigProfile(n: number): ProfileDoc {
  const doc = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/profile/tiny-cnn.profile.json'), 'utf8')) as ProfileDoc;
  delete (doc.target as { peak?: unknown }).peak;
  doc.model.name = `synthetic-${n}`;
  const kernels = [
    'matmul_f32_8x12_neon_fma',
    'ts_add_float32',
    'matmul_qai8dxp_qsi4cxp_4x8x32_i8mm',
    'unary_f32_1x4_neon',
    'softmax_lastaxis',
  ];
  const isas = ['neon', 'scalar', 'i8mm', 'neon', 'scalar'];
  const ops: OpRow[] = [];
  const timeline: TimelineEvent[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    const ms = 0.001 + ((i * 7919) % 1000) / 1e4;
    const k = i % kernels.length;
    ops.push({
      node: `layer${Math.floor(i / 5)}/op${i}`,
      op: ['MatMul', 'Add', 'MatMul', 'Gelu', 'Softmax'][k],
      kernel: kernels[k],
      isa: isas[k],
      calls: 1 + (i % 3),
      ms,
      share: 0,
      flops: 1e5 + i,
      bytes: 4e4 + i,
      gflops: (1e5 + i) / (ms * 1e6),
      shapes: [
        [1, 128, 768],
        [768, 768],
      ],
    });
    timeline.push({ node: `layer${Math.floor(i / 5)}/op${i}`, op: ops[i].op, kernel: kernels[k], start_ms: t, dur_ms: ms });
    t += ms;
  }
  for (const o of ops) o.share = o.ms / t;
  const eager = doc.runs[1];
  eager.ops = ops;
  eager.timeline = timeline;
  eager.latency_ms = { n: 3, median: t * 1.02, p10: t, p90: t * 1.1, min: t };
  doc.runs[0].latency_ms.median = t * 3;
  doc.runs = doc.runs.slice(0, 2);
  return doc;
}
