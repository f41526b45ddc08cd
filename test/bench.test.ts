// Machine roofs (measurePeak) and `armml bench`: plausible numbers, the JSON of DESIGN.md, clear
// errors, and profiles that carry the roofs. Timings are kept short; the machine is shared.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNative, NativeArgumentError } from '../engine/native.js';
import { measureTargetPeak } from '../engine/profile.js';
import { ROOT, SHARED } from './support/paths.js';

const CLI = path.join(ROOT, 'dist/cli.js');
const native = loadNative();

function armml(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
}

beforeAll(() => {
  if (!fs.existsSync(CLI)) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
});

describe('measurePeak', () => {
  it('measures a plausible FMA peak and read bandwidth with the selected peak_f32 variant', () => {
    const p = native.measurePeak({ threads: 2, ms: 60, bytes: 64 * 2 ** 20 });
    expect(p.gflops_per_thread).toBeGreaterThan(1);
    expect(p.gflops_per_thread).toBeLessThan(1000);
    expect(p.gflops).toBeGreaterThan(0);
    expect(p.gbps).toBeGreaterThan(0.5);
    expect(p.gbps).toBeLessThan(1000);
    expect(p.threads).toBe(2);
    const selected = native.variants().find((v) => v.family === 'peak_f32' && v.selected);
    expect(p.kernel).toBe(selected?.name);
    expect(p.isa).toBe(selected?.isa);
  });

  it('skips bandwidth for bytes 0 and rejects bad options by name', () => {
    expect(native.measurePeak({ ms: 5, bytes: 0 }).gbps).toBe(0);
    expect(() => native.measurePeak({ threads: 0 })).toThrow(NativeArgumentError);
    expect(() => native.measurePeak({ ms: -1 })).toThrow(/ms must be/);
    expect(() => native.measurePeak({ ms: 5, bytes: 0, variant: 'matmul_f32_4x8_portable' })).toThrow(/peak_f32/);
  });

  it('leaves target.peak out when the backend cannot measure', () => {
    const broken = { measurePeak: () => { throw new Error('no'); } } as unknown as Parameters<typeof measureTargetPeak>[0];
    expect(measureTargetPeak(broken, 1)).toBeUndefined();
  });
});

describe('armml bench', () => {
  it('gemm --json prints the DESIGN.md shape with pct_peak against the same run\'s peak', () => {
    const r = armml('bench', 'gemm', '--json', '--quick', '--threads', '1');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile({
      type: 'object',
      required: ['kind', 'peak', 'results'],
      properties: {
        kind: { const: 'gemm' },
        peak: { type: 'object', required: ['gflops', 'gbps'], properties: { gflops: { type: 'number', exclusiveMinimum: 0 }, gbps: { type: 'number', exclusiveMinimum: 0 } } },
        results: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['m', 'n', 'k', 'threads', 'gflops', 'pct_peak'],
            properties: { m: { type: 'integer' }, n: { type: 'integer' }, k: { type: 'integer' }, threads: { const: 1 }, gflops: { type: 'number', exclusiveMinimum: 0 }, pct_peak: { type: 'number' } },
          },
        },
      },
    });
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    for (const x of doc.results) {
      expect(x.pct_peak).toBeGreaterThan(0);
      expect(x.pct_peak).toBeLessThanOrEqual(1.5);
      expect(x.pct_peak).toBeCloseTo(x.gflops / doc.peak.gflops_per_thread, 6);
    }
    // The optimized kernel and the reference are both there, and the optimized one is faster.
    const at = (kernel: (k: string) => boolean) => doc.results.find((x: { m: number; kernel: string }) => x.m === 256 && kernel(x.kernel));
    expect(at((k) => !k.includes('_ref')).gflops).toBeGreaterThan(at((k) => k.includes('_ref')).gflops);
  });

  it('--threads 1..2 runs every case at both counts and reports the speedup over one thread', () => {
    const r = armml('bench', 'gemm', '--json', '--quick', '--threads', '1..2');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const two = doc.results.filter((x: { threads: number }) => x.threads === 2);
    expect(two.length).toBe(doc.results.length / 2);
    for (const x of two) {
      const one = doc.results.find((y: { threads: number; m: number; kernel: string }) => y.threads === 1 && y.m === x.m && y.kernel === x.kernel);
      expect(x.speedup).toBeCloseTo(one.ms / x.ms, 6);
    }
    expect(armml('bench', 'gemm', '--threads', '0').stderr).toMatch(/--threads must be a count, a list \(1,2\) or a range/);
  });

  it('depthwise --json reports MobileNet/EfficientNet layers against the roofline of the same run', () => {
    const r = armml('bench', 'depthwise', '--json', '--quick', '--threads', '1');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.kind).toBe('depthwise');
    expect(doc.peak.gflops).toBeGreaterThan(0);
    expect(doc.peak.gbps).toBeGreaterThan(0);
    expect(doc.results.length).toBeGreaterThanOrEqual(3);
    const selected = native.variants().find((v) => v.family === 'dwconv2d_f32' && v.selected);
    for (const x of doc.results) {
      // The shape every compute kind shares (DESIGN.md), then the roofline fields.
      expect(x).toMatchObject({ m: 1, threads: 1, kernel: selected?.name });
      expect(x.layer).toMatch(/^(MobileNet-v2|EfficientNet-B0) [35]x[35] s[12] \d+ch \d+x\d+$/);
      expect(x.gflops).toBeGreaterThan(0);
      expect(x.pct_peak).toBeCloseTo(x.gflops / doc.peak.gflops_per_thread, 6);
      const [, k, s, c, hw] = /(\d)x\d s(\d) (\d+)ch (\d+)x/.exec(x.layer)!.map(Number);
      const out = Math.floor((hw + 2 * Math.floor(k / 2) - k) / s) + 1;
      expect(x.n).toBe(out * out);
      expect(x.k).toBe(k * k);
      expect(x.bytes).toBe(4 * (c * hw * hw + c * out * out + c * k * k));
      expect(x.intensity).toBeCloseTo((2 * c * x.n * x.k) / x.bytes, 9);
      expect(x.roof_gflops).toBeCloseTo(Math.min(doc.peak.gflops_per_thread, doc.peak.gbps * x.intensity), 6);
      expect(x.pct_roof).toBeCloseTo(x.gflops / x.roof_gflops, 6);
    }
    // The table form names the roofline columns.
    const text = armml('bench', 'depthwise', '--quick', '--threads', '1');
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/flop\/byte +roof GFLOP\/s +% roof/);
    expect(text.stdout).toContain('MobileNet-v2 3x3 s1 960ch 7x7');
  });

  it('bandwidth --json reports gbps and pct_bandwidth', () => {
    const r = armml('bench', 'bandwidth', '--json', '--quick', '--threads', '1');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.kind).toBe('bandwidth');
    for (const x of doc.results) {
      expect(x.gbps).toBeGreaterThan(0);
      expect(x.pct_bandwidth).toBeCloseTo(x.gbps / doc.peak.gbps, 6);
    }
  });

  it('gemv --json reports GB/s, pct_bandwidth and pct_roof for both B layouts, with the gemv kernel that ran', () => {
    const r = armml('bench', 'gemv', '--json', '--quick', '--threads', '2');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.kind).toBe('gemv');
    expect(doc.peak.gbps).toBeGreaterThan(0);
    expect(doc.peak.threads).toBe(2);
    const gemv = native.variants().find((v) => v.family === 'gemv_f32' && v.selected)!.name;
    const layouts = new Set<boolean>();
    for (const x of doc.results) {
      expect(x.m).toBe(1);
      expect(x.threads).toBe(2);
      expect(x.kernel).toBe(gemv);
      expect(x.bytes).toBe(4 * (x.k * x.n + x.m * x.k + x.m * x.n));
      expect(x.gbps).toBeGreaterThan(0);
      expect(x.gbps).toBeCloseTo(x.bytes / (x.ms * 1e6), 6);
      expect(x.pct_bandwidth).toBeCloseTo(x.gbps / doc.peak.gbps, 6);
      expect(x.gflops).toBeCloseTo((2 * x.m * x.n * x.k) / (x.ms * 1e6), 6);
      // Memory-bound: the roof is the bandwidth one, so the two fractions agree.
      const roof = Math.min(doc.peak.gflops, ((2 * x.m * x.n * x.k) / x.bytes) * doc.peak.gbps);
      expect(x.pct_roof).toBeCloseTo(x.gflops / roof, 6);
      layouts.add(x.transB);
    }
    expect([...layouts].sort()).toEqual([false, true]);
    const text = armml('bench', 'gemv', '--quick', '--threads', '1');
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/% bandwidth/);
    expect(text.stdout).toMatch(/1x1024x1024 +NxK/);
  });

  it('a bad kind gives one clear line and a non-zero exit', () => {
    const r = armml('bench', 'fft');
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toBe("armml: unknown bench kind 'fft' (available: gemm, conv, depthwise, gemv, bandwidth)");
  });
});

describe('armml profile', () => {
  it('records the measured roofs in target.peak, and the document still validates', () => {
    const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'armml-bench-')), 'mnist.json');
    const r = armml('profile', path.join(SHARED, 'models/mnist-8/model.onnx'), '--modes', 'eager', '--threads', '2', '--iters', '1', '--warmup', '0', '--json', json);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(doc.target.peak.threads).toBe(2);
    expect(doc.target.peak.gflops).toBeGreaterThan(1);
    expect(doc.target.peak.gbps).toBeGreaterThan(0.5);
    expect(doc.target.peak.measured_ms).toBeGreaterThan(0);
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema/armml.profile-1.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...doc, target: { ...doc.target, peak: { gflops: -1, gbps: 1, threads: 1, measured_ms: 1 } } })).toBe(false);
  });
});
