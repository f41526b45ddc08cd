// The extension host's logic and manifest, without VS Code.
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  cpuFeaturesHtml,
  headlineIsa,
  modelChoices,
  parseProfileDoc,
  ProfileFileError,
  ProfileHistory,
  ProgressTracker,
  profileFileName,
  runForHeat,
  shortCpuName,
  statusBarText,
  webviewPage,
} from '../extension/logic.js';
import { writeActivationRecord, type ActivationRecord } from '../extension/activation.js';
import { COMMANDS } from '../extension/commands.js';
import { PROFILE_SCHEMA as ENGINE_PROFILE_SCHEMA, type ProfileDoc, type ModeRun } from '../engine/profile.js';
import { PROFILE_SCHEMA } from '../common/profile-file.js';
import { ROOT } from './support/paths.js';

function run(mode: string, median: number, ok = true): ModeRun {
  return {
    mode: mode as ModeRun['mode'],
    threads: 1,
    latency_ms: { n: 1, median, p10: median, p90: median, min: median },
    outputs_ok: ok,
    max_abs_err: 0,
    checked_against: 'reference',
    ops: [{ node: 'n', op: 'Conv', kernel: 'k', isa: 'avx2', calls: 1, ms: median, share: 1, flops: 0, bytes: 0, gflops: 0, shapes: [] }],
    timeline: [],
  };
}

function doc(file: string, runs = [run('baseline', 3), run('eager', 1)]): ProfileDoc {
  return {
    schema: 'armml.profile/1',
    tool: { name: 'armml', version: 't' },
    created: '2025-01-01T00:00:00Z',
    target: { host: 'h', os: 'Linux', arch: 'x64', cpu: { name: 'AMD EPYC' }, isa: ['avx2'], threads: 2 },
    model: { path: file, name: path.basename(path.dirname(file)), sha256: '', nodes: 1, params: 0, flops: 0, opsets: {} },
    settings: { warmup: 0, iters: 1, inputs: 'synthetic' },
    runs,
  };
}

describe('status bar', () => {
  it('names target, CPU and the telling ISA features', () => {
    expect(statusBarText('local', { name: 'AMD EPYC', isa: ['avx2', 'fma'] })).toBe('local · AMD EPYC · avx2 fma');
    expect(statusBarText('local', { name: 'Neoverse-V1', isa: ['neon', 'dotprod', 'i8mm', 'bf16', 'sve'] })).toBe('local · Neoverse-V1 · sve i8mm bf16');
    expect(statusBarText('local', null, 'Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz')).toBe('local · Intel Xeon Platinum 8375C');
  });

  it('does not repeat a feature that a listed tier implies', () => {
    expect(headlineIsa(['neon', 'sve', 'sve2', 'i8mm'])).toBe('sve2 i8mm neon');
    expect(headlineIsa([])).toBe('');
    expect(shortCpuName('AMD EPYC 7B13 64-Core Processor')).toBe('AMD EPYC 7B13');
  });
});

describe('model choices', () => {
  it('offers the active editor first, workspace files, the example and Browse…, without duplicates', () => {
    const choices = modelChoices({
      active: '/ws/a/model.onnx',
      workspace: ['/ws/b.onnx', '/ws/a/model.onnx'],
      workspaceRoots: ['/ws'],
      example: '/ext/examples/shapes-mobilenetv2/model.onnx',
    });
    expect(choices.map((c) => [c.kind, c.label])).toEqual([
      ['active', 'a'],
      ['workspace', 'b'],
      ['example', 'shapes-mobilenetv2'],
      ['browse', 'Browse…'],
    ]);
    expect(choices[0].description).toContain(path.join('a', 'model.onnx'));
    expect(choices[3].file).toBeUndefined();
  });
});

describe('profile files', () => {
  it('reads the schema the engine writes (common/ repeats the name so the host bundle stays engine-free)', () => {
    expect(PROFILE_SCHEMA).toBe(ENGINE_PROFILE_SCHEMA);
  });

  it('accepts an armml.profile/1 document', () => {
    const d = doc('/m/model.onnx');
    expect(parseProfileDoc(JSON.stringify(d), 'x.json').runs).toHaveLength(2);
  });

  it.each([
    ['{', /not JSON/],
    ['[]', /expected a JSON object/],
    ['{"runs":[]}', /no "schema" field/],
    ['{"schema":"armml.profile/2","runs":[]}', /schema "armml.profile\/2".*reads "armml.profile\/1"/],
    ['{"schema":"armml.profile/1","model":{}}', /"runs" must be a list/],
    ['{"schema":"armml.profile/1","model":{},"runs":[{"mode":"eager"}]}', /runs\[0\]/],
  ])('rejects %s with a clear reason', (text, reason) => {
    expect(() => parseProfileDoc(text, 'bad.json')).toThrow(ProfileFileError);
    expect(() => parseProfileDoc(text, 'bad.json')).toThrow(reason);
  });

  it('names saved files by time and model, safe for file systems', () => {
    const name = profileFileName({ ...doc('/m/model.onnx'), model: { ...doc('/m/model.onnx').model, name: 'a/b c' } }, new Date('2025-02-03T04:05:06.789Z'));
    expect(name).toBe('2025-02-03T04-05-06-789Z-a_b_c.profile.json');
  });
});

describe('profile history', () => {
  it('keeps the last N and finds the newest profile of a model', () => {
    const h = new ProfileHistory(2);
    const a1 = doc('/m/a/model.onnx');
    const b = doc('/m/b/model.onnx');
    const a2 = doc('/m/a/model.onnx');
    h.add(a1);
    h.add(b);
    expect(h.add(a2)).toEqual([b, a2]);
    expect(h.latestFor('/m/a/model.onnx')).toBe(a2);
    expect(h.latestFor('/m/c/model.onnx')).toBeUndefined();
    expect(h.latest).toBe(a2);
  });

  it('colours the graph with the fastest correct run', () => {
    expect(runForHeat(doc('/m', [run('baseline', 3), run('eager', 1, false)]))?.mode).toBe('baseline');
    expect(runForHeat(doc('/m', [run('baseline', 3), run('eager', 1)]))?.mode).toBe('eager');
    expect(runForHeat(undefined)).toBeUndefined();
  });
});

describe('progress', () => {
  it('moves the bar forward to 100% over all modes and iterations', () => {
    const t = new ProgressTracker(2, 1, 2);
    let total = 0;
    expect(t.update({ mode: 'baseline', phase: 'load', iter: 0, of: 1 }).increment).toBe(0);
    for (const mode of ['baseline', 'eager']) {
      total += t.update({ mode, phase: 'warmup', iter: 1, of: 1 }).increment;
      for (let i = 1; i <= 2; i++) total += t.update({ mode, phase: 'timed', iter: i, of: 2 }).increment;
    }
    expect(total).toBeCloseTo(100);
    expect(t.update({ mode: 'eager', phase: 'timed', iter: 3, of: 2 }).increment).toBe(0);
    expect(t.update({ mode: 'eager', phase: 'timed', iter: 1, of: 2 }).message).toBe('eager: timed 1/2');
  });
});

describe('webview pages', () => {
  it('use a strict CSP with a nonce and escape their title', () => {
    const html = webviewPage({
      cspSource: 'vscode-resource:',
      nonce: 'abc123',
      title: '</title><script>alert(1)</script>',
      body: '<div id="armml-root"></div>',
      scripts: ['vscode-resource:/dist/webview.js'],
    });
    const csp = /content="([^"]+)"/.exec(html)![1];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'nonce-abc123' vscode-resource:");
    expect(csp).toContain('img-src vscode-resource: data:');
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(html.match(/<script nonce="abc123"/g)).toHaveLength(2);
    expect(html).not.toContain('<script>alert');
    // The first-paint clock starts in the head, before the bundle loads.
    expect(html.indexOf("performance.mark('armml:page')")).toBeLessThan(html.indexOf('webview.js'));
  });

  it('lists CPU features and selected kernel variants', () => {
    const html = cpuFeaturesHtml(
      {
        version: '1',
        pid: 1,
        node: 'v20',
        cpu: { arch: 'aarch64', vendor: 'ARM', name: 'Neoverse-V1', midr: '0x410fd400', isa: ['neon', 'sve'], cores: 64 },
        variants: [{ name: 'matmul_f32_8x12_neon_fma', family: 'matmul_f32', isa: 'neon', mr: 8, nr: 12, kr: 1, sr: 1, reference: false, supported: true, selected: true }],
        modes: { available: ['baseline', 'eager'], planned: ['graph'] },
        ops: 150,
      },
      'local',
    );
    expect(html).toContain('Neoverse-V1');
    expect(html).toContain('0x410fd400');
    expect(html).toMatch(/<tr class="selected">.*matmul_f32_8x12_neon_fma/);
  });
});

describe('activation record', () => {
  it('writes the timing with a bounded history', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armml-act-'));
    try {
      const file = path.join(dir, 'sub', 'activation.json');
      const rec = (i: number): ActivationRecord => ({ time: `t${i}`, extensionVersion: '0.1.0', vscodeVersion: '1.95.0', moduleLoadMs: 1, activateMs: i, totalMs: 1 + i });
      for (let i = 0; i < 25; i++) await writeActivationRecord([file], rec(i));
      const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(saved.activateMs).toBe(24);
      expect(saved.history).toHaveLength(20);
      expect(saved.history[19].time).toBe('t24');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('manifest', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

  it('activates lazily: on its commands and its editor only', () => {
    for (const e of pkg.activationEvents as string[]) expect(e).toMatch(/^(onCommand:armml\.|onCustomEditor:armml\.onnxGraph$)/);
    for (const id of COMMANDS) expect(pkg.activationEvents).toContain(`onCommand:${id}`);
    expect(pkg.main).toBe('./dist/extension.js');
  });

  it('contributes every registered command under the Arm ML category, and the settings', () => {
    const contributed = (pkg.contributes.commands as { command: string; category: string }[]).map((c) => c.command).sort();
    expect(contributed).toEqual([...COMMANDS].sort());
    for (const c of pkg.contributes.commands) expect(c.category).toBe('Arm ML');
    expect(Object.keys(pkg.contributes.configuration.properties).sort()).toEqual(['armml.defaultTarget', 'armml.disabledPasses', 'armml.iterations', 'armml.modes', 'armml.threads', 'armml.warmup']);
    expect(pkg.contributes.customEditors[0]).toMatchObject({ viewType: 'armml.onnxGraph', priority: 'default', selector: [{ filenamePattern: '*.onnx' }] });
  });

  it('ships bundles, the addon and the example but no sources', () => {
    const ignore = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8');
    for (const keep of ['!dist/extension.js', '!dist/host.js', '!dist/agent.js', '!build/Release/armml.node', '!examples/shapes-mobilenetv2/**', '!media/**']) expect(ignore).toContain(keep);
    expect(ignore.split('\n')).toContain('**');
    const png = fs.readFileSync(path.join(ROOT, pkg.icon));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(128);
  });
});
