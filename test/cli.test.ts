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
  for (const mode of ['baseline', 'eager']) {
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
    // Baseline runs reference kernels, eager the optimized ones.
    const kernels = (i: number) => new Set(doc.runs[i].ops.filter((o: { op: string }) => o.op === 'Conv').map((o: { kernel: string }) => o.kernel));
    expect([...kernels(0)].join()).not.toEqual([...kernels(1)].join());
    const t = JSON.parse(fs.readFileSync(trace, 'utf8'));
    expect(t.traceEvents.filter((e: { ph: string }) => e.ph === 'X').length).toBe(2 * doc.model.nodes);
  });

  it('refuses a mode that is not available yet, naming it', () => {
    const r = armml('profile', path.join(SHARED, 'models/mnist-8/model.onnx'), '--modes', 'int4');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/mode 'int4' is planned but not available yet/);
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

function write(dir: string, name: string, data: Uint8Array): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, data);
  return f;
}
