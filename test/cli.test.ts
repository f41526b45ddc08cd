// The CLI end to end, as a user runs it: the built bundle in a child process.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import Ajv from 'ajv';
import { ROOT, SHARED } from './support/paths.js';
import { decodeTensorFile } from '../engine/onnx/tensor-proto.js';
import { compareValues, DEFAULT_TOLERANCE } from '../engine/testdata/conformance.js';
import type { ProfileDoc } from '../engine/profile.js';
import type { Mode } from '../engine/ops/types.js';

const CLI = path.join(ROOT, 'dist/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'armml-cli-'));

function armml(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
}

beforeAll(() => {
  if (!fs.existsSync(CLI)) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
});

describe('armml info', () => {
  it('names the CPU, its ISA features and the selected kernel variants', () => {
    const r = armml('info', '--json');
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.cpu.arch).toBe(process.arch === 'x64' ? 'x86_64' : 'aarch64');
    expect(info.cpu.name.length).toBeGreaterThan(0);
    expect(info.variants.some((v: { family: string; selected: boolean }) => v.family === 'matmul_f32' && v.selected)).toBe(true);
    expect(info.ops.length).toBeGreaterThan(100);
  });
});

describe('armml run', () => {
  const model = path.join(SHARED, 'models/mnist-8');
  for (const mode of ['baseline', 'eager', 'graph']) {
    it(`reproduces mnist-8's reference outputs in ${mode} mode`, () => {
      for (const set of ['test_data_set_0', 'test_data_set_1', 'test_data_set_2']) {
        const out = path.join(tmp, `mnist-${mode}-${set}`);
        const r = armml('run', path.join(model, 'model.onnx'), '--inputs', path.join(model, set), '--out', out, '--mode', mode);
        expect(r.status, r.stderr).toBe(0);
        const got = decodeTensorFile(fs.readFileSync(path.join(out, 'output_0.pb')), 'got');
        const exp = decodeTensorFile(fs.readFileSync(path.join(model, set, 'output_0.pb')), 'exp');
        const c = compareValues(got, exp, DEFAULT_TOLERANCE, 'output 0');
        expect(c.ok, c.reason).toBe(true);
      }
    });
  }
});

describe('armml profile', () => {
  it('profiles a model in baseline and eager mode and writes a schema-valid armml.profile/1 document', () => {
    const json = path.join(tmp, 'mnist.profile.json');
    const trace = path.join(tmp, 'mnist.trace.json');
    const r = armml('profile', path.join(SHARED, 'models/mnist-8/model.onnx'), '--modes', 'baseline,eager', '--iters', '3', '--warmup', '1', '--json', json, '--trace', trace);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^op\s+node\s+kernel\s+ISA\s+ms\s+share\s+GFLOP\/s/m);
    expect(r.stdout).toMatch(/eager · \d+ thread\(s\): median [\d.]+ ms .* vs baseline/);
    const doc = JSON.parse(fs.readFileSync(json, 'utf8'));
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema/armml.profile-1.schema.json'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.runs.map((x: { mode: string }) => x.mode)).toEqual(['baseline', 'eager']);
    for (const run of doc.runs) {
      expect(run.outputs_ok).toBe(true);
      expect(run.checked_against).toBe('reference');
      expect(run.latency_ms.n).toBe(3);
      const shares = run.ops.reduce((a: number, o: { share: number }) => a + o.share, 0);
      expect(shares).toBeCloseTo(1, 5);
      const conv = run.ops.find((o: { op: string }) => o.op === 'Conv');
      expect(conv.flops).toBeGreaterThan(0);
      expect(conv.kernel).not.toBe('ts_reference');
    }
    // Each native kernel carries its variant-table family (the views classify by it, not by the name's spelling).
    const eagerOp = (op: string) => doc.runs[1].ops.find((o: { op: string }) => o.op === op);
    expect(eagerOp('MaxPool').kernel_family).toBe('pool2d_f32');
    expect(eagerOp('Conv').kernel_family).toBe('matmul_f32');
    expect(doc.runs[1].timeline.find((e: { op: string }) => e.op === 'MaxPool').kernel_family).toBe('pool2d_f32');
    // Baseline runs reference kernels, eager the optimized ones.
    const kernels = (i: number) => new Set(doc.runs[i].ops.filter((o: { op: string }) => o.op === 'Conv').map((o: { kernel: string }) => o.kernel));
    expect([...kernels(0)].join()).not.toEqual([...kernels(1)].join());
    const t = JSON.parse(fs.readFileSync(trace, 'utf8'));
    expect(t.traceEvents.filter((e: { ph: string }) => e.ph === 'X').length).toBe(2 * doc.model.nodes);
  });

  it('profiles graph mode beside eager with the pass log, turns a pass off, and lists the passes', () => {
    const json = path.join(tmp, 'example.graph.json');
    const r = armml('profile', 'example', '--modes', 'eager,graph', '--iters', '2', '--warmup', '1', '--json', json);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/graph · \d+ thread\(s\): median [\d.]+ ms/);
    expect(r.stdout).toMatch(/^graph compiler: \d+ -> \d+ nodes; memory plan: [\d.]+ MiB arena for \d+ values \(peak live [\d.]+ MiB\)$/m);
    const doc = JSON.parse(fs.readFileSync(json, 'utf8'));
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema/armml.profile-1.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const graph = doc.runs.find((x: { mode: string }) => x.mode === 'graph');
    expect(graph.outputs_ok).toBe(true);
    expect(graph.nodes).toBeLessThan(doc.model.nodes);
    expect(graph.passes.map((p: { pass: string }) => p.pass)).toContain('epilogue-fusion');
    // One native program per inference: its convs run as kernel steps, pooling and Flatten call back.
    expect(r.stdout).toMatch(/^native program: (\d+) steps, (\d+) run by the addon, 2 call back into JS \(GlobalAveragePool 1, Flatten 1\)$/m);
    expect(graph.program).toEqual({ steps: graph.nodes, kernel_steps: graph.nodes - 2, callback_steps: 2, callbacks: { GlobalAveragePool: 1, Flatten: 1 } });
    // The example's Conv -> BatchNormalization -> Clip chains run as one node, named after the user's Conv.
    const fused = graph.ops.find((o: { op: string }) => o.op === 'Conv+BatchNormalization+Clip');
    expect(fused, graph.ops.map((o: { op: string }) => o.op).join()).toBeDefined();
    expect(doc.runs[0].ops.some((o: { node: string }) => o.node === fused.node)).toBe(true);

    const off = armml('profile', 'example', '--modes', 'graph', '--iters', '1', '--warmup', '0', '--disable-pass', 'epilogue-fusion', '--json', json);
    expect(off.status, off.stderr).toBe(0);
    const offDoc = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(offDoc.runs[0].passes.find((p: { pass: string }) => p.pass === 'epilogue-fusion').enabled).toBe(false);
    expect(offDoc.runs[0].ops.some((o: { op: string }) => o.op.includes('Clip') && o.op !== 'Clip')).toBe(false);

    const bad = armml('profile', 'example', '--disable-pass', 'fusion');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--disable-pass: unknown pass 'fusion' \(passes: constant-folding, /);
    const list = armml('profile', '--passes');
    expect(list.status, list.stderr).toBe(0);
    for (const p of ['constant-folding', 'conv-bn-folding', 'epilogue-fusion', 'dead-node-elimination']) expect(list.stdout).toContain(p);
  });

  it('refuses a mode that is not available yet, naming it', () => {
    const r = armml('profile', path.join(SHARED, 'models/mnist-8/model.onnx'), '--modes', 'int4');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/mode 'int4' is planned but not available yet/);
  });
});

describe('bad usage exits 2', () => {
  it.each([
    ['an unknown option', ['profile', 'example', '--itres', '3'], /unknown option '--itres'/],
    ['a bad number', ['profile', 'example', '--iters', '0'], /--iters must be an integer >= 1/],
    ['a missing argument', ['diff', 'a.json'], /missing required argument 'b'/],
    ['an unknown command', ['profiel', 'example'], /unknown command 'profiel'/],
  ])('%s', (_what, args, re) => {
    const r = armml(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(re);
  });

  it('--help and --version exit 0', () => {
    expect(armml('--help').status).toBe(0);
    expect(armml('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('bad input gives one clear line and a non-zero exit', () => {
  const cases: [string, (dir: string) => string, RegExp][] = [
    ['missing file', (d) => path.join(d, 'nope.onnx'), /nope.onnx: file not found/],
    ['empty file', (d) => write(d, 'empty.onnx', new Uint8Array()), /empty.onnx: the file is empty/],
    ['truncated file', (d) => write(d, 'trunc.onnx', fs.readFileSync(path.join(SHARED, 'models/mnist-8/model.onnx')).subarray(0, 9000)), /trunc.onnx: .*(corrupt|truncated)/],
    ['text file', (d) => write(d, 'text.onnx', Buffer.from('hello, this is not a model\n'.repeat(20))), /text.onnx: /],
  ];
  for (const [what, make, re] of cases) {
    it(what, () => {
      const file = make(tmp);
      const r = armml('profile', file, '--iters', '1');
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});

describe('armml diff', () => {
  // The hand-made tiny-cnn profile (baseline, eager, graph), and copies of it changed one way each.
  const base = (): ProfileDoc => JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/profile/tiny-cnn.profile.json'), 'utf8'));
  const A = path.join(tmp, 'diff-a.profile.json');
  const profileFile = (name: string, change: (doc: ProfileDoc) => void) => {
    const doc = base();
    change(doc);
    return write(tmp, name, Buffer.from(JSON.stringify(doc)));
  };
  const eagerOf = (doc: ProfileDoc) => doc.runs.find((r) => r.mode === 'eager')!;
  const slowerEager = (doc: ProfileDoc) => {
    const l = eagerOf(doc).latency_ms;
    for (const k of ['median', 'p10', 'p90', 'min'] as const) l[k] *= 1.5;
  };

  beforeAll(() => {
    write(tmp, 'diff-a.profile.json', Buffer.from(JSON.stringify(base())));
  });

  it('exits 0 when nothing changed, printing a line per mode', () => {
    const r = armml('diff', A, A);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^eager\s+2\.50\s+2\.50\s+0\.0%\s+same\b/m);
    expect(r.stderr).toBe('');
  });

  it('exits 4 when a mode is slower beyond the noise, and --json records the verdicts', () => {
    const B = profileFile('diff-slow.profile.json', slowerEager);
    const json = path.join(tmp, 'diff-slow.json');
    const r = armml('diff', A, B, '--json', json);
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/slower in B .*: eager$/m);
    expect(r.stdout).toMatch(/^eager\s+2\.50\s+3\.75\s+\+50\.0%\s+slower\b/m);
    const diff = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(diff.schema).toBe('armml.diff/1');
    expect(Object.fromEntries(diff.modes.map((m: { mode: string; verdict: string }) => [m.mode, m.verdict]))).toEqual({ baseline: 'same', eager: 'slower', graph: 'same' });
    expect(diff.summary.regressions).toEqual(['eager']);
  });

  it('exits 0 for the same slowdown under a higher --threshold, or with --mode on another mode', () => {
    const B = profileFile('diff-slow.profile.json', slowerEager);
    expect(armml('diff', A, B, '--threshold', '60').status).toBe(0);
    const r = armml('diff', A, B, '--mode', 'graph');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/^eager/m);
  });

  it("exits 3 when B's outputs are wrong where A's were right", () => {
    const B = profileFile('diff-wrong.profile.json', (doc) => (eagerOf(doc).outputs_ok = false));
    const r = armml('diff', A, B);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/outputs wrong in B, correct in A: eager/);
  });

  it('warns on stderr when the models differ but still compares', () => {
    const B = profileFile('diff-model.profile.json', (doc) => (doc.model.sha256 = 'f'.repeat(64)));
    const r = armml('diff', A, B);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^armml: warning: A and B profile different models/m);
  });

  it('exits 1 naming the modes of each file when no mode is in both', () => {
    const B = profileFile('diff-int8.profile.json', (doc) => (doc.runs = [{ ...doc.runs[2], mode: 'int8' as Mode }]));
    const r = armml('diff', A, B);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/no mode is in both profiles \(.*diff-a.profile.json: baseline, eager, graph; .*diff-int8.profile.json: int8\)$/);
  });

  it.each([
    ['a missing file', () => path.join(tmp, 'nope.profile.json'), /nope.profile.json: file not found/],
    ['a file that is not JSON', () => write(tmp, 'diff-text.json', Buffer.from('not json')), /diff-text.json is not JSON/],
    ['a JSON file of another kind', () => write(tmp, 'diff-trace.json', Buffer.from('{"traceEvents":[]}')), /diff-trace.json is not an armml profile/],
  ])('exits 1 with one line naming %s', (_what, make, re) => {
    const r = armml('diff', A, make());
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(re);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 2 for a bad --threshold', () => {
    const r = armml('diff', A, A, '--threshold', 'five');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("armml: --threshold must be a percentage >= 0, got 'five'");
  });
});

function write(dir: string, name: string, data: Uint8Array): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, data);
  return f;
}
