// End to end in a real VS Code: code-server serves the workbench, Debian's Chromium shows it, and
// playwright-core drives it like a person would. The packaged .vsix is installed into a fresh
// extensions folder, a workspace holds the bundled example model and the PyTorch module it was
// exported from, and the test profiles the model from the command palette, then reads the results
// webview, the Python CodeLens and the .onnx graph editor back and compares them with the profile
// the extension saved. Screenshots of every view in the dark and light theme and the measured
// timings go to test-results/e2e/.
//
// Needs: apt-get install -y libkrb5-dev ripgrep chromium (code-server is installed on first run
// into .cache/code-server by scripts/e2e-setup.sh, about 90 s).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import type { ModeRun, ProfileDoc } from '../../engine/profile.js';
import { formatMs, formatSpeedup } from '../../common/format.js';
import { loadModel } from '../../engine/onnx/loader.js';
import * as cs from './code-server.js';
import { renderHtmlReport } from '../../engine/report/html.js';
import { renderSignatureScript } from '../support/render-signature.js';

const execFileP = promisify(execFile);

const EXAMPLE = path.join(cs.ROOT, 'examples', 'shapes-mobilenetv2');
const MODEL_DIR = 'shapes-mobilenetv2';
const OUT = path.join(cs.ROOT, 'test-results', 'e2e');
const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern' } as const;
type Theme = keyof typeof THEMES;

// Few iterations keep the run short; the numbers shown are still the measured ones.
const PROFILE_SETTINGS = { 'armml.iterations': 3, 'armml.warmup': 1 };
const THEME_SETTINGS = {
  'workbench.colorTheme': THEMES.dark,
  'workbench.preferredDarkColorTheme': THEMES.dark,
  'workbench.preferredLightColorTheme': THEMES.light,
};

let dirs: cs.ServerDirs;
let server: cs.Server | undefined;
let browser: Browser | undefined;
let page: Page;
let profile: ProfileDoc | undefined;
let profileFile: string | undefined;
const timings: Record<string, unknown> = {};
const t0 = Date.now();

function since(start: number): number {
  return Math.round(Date.now() - start);
}

function globalStorage(): string {
  return path.join(dirs.userData, 'User', 'globalStorage', cs.EXTENSION_ID);
}

/** "12.3 ms" / "0.412 ms" / "45.00 µs" (common/format.ts) -> milliseconds. */
function parseMs(text: string): number {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|µs)\s*$/.exec(text);
  if (!m) throw new Error(`not a formatted time: "${text}"`);
  return m[2] === 'µs' ? Number(m[1]) / 1000 : Number(m[1]);
}

/** The run the viewer selects first: eager when it has ops (common/viewmodel.ts defaultRunIndex). */
function shownRun(doc: ProfileDoc): ModeRun {
  return (
    doc.runs.find((r) => r.mode === 'eager' && r.ops.length > 0) ?? [...doc.runs].reverse().find((r) => r.ops.length > 0) ?? doc.runs[0]
  );
}

function needProfile(): ProfileDoc {
  if (!profile) throw new Error('no profile: the "Profile Model…" step failed, see its error');
  return profile;
}

async function shot(name: string, theme: Theme): Promise<void> {
  await page.screenshot({ path: path.join(OUT, `${name}-${theme}.png`) });
}

async function setTheme(theme: Theme): Promise<void> {
  const workbench = page.locator(theme === 'dark' ? '.monaco-workbench.vs-dark' : '.monaco-workbench.vs');
  if (await workbench.count()) return;
  // Toggles between workbench.preferredDarkColorTheme and preferredLightColorTheme (set in the
  // user settings to THEMES): no picker, and nothing that reaches for the theme marketplace.
  await cs.runCommand(page, 'Preferences: Toggle between Light/Dark Themes');
  await workbench.waitFor({ timeout: 30_000 });
}

/** The results panel's document, brought to the front. */
async function resultsView(): Promise<FrameLocator> {
  await cs.runCommand(page, 'Arm ML: Show Software Stack');
  return cs.webviewWith(page, '[data-testid="armml-app"] [data-testid="tab-stack"]');
}

async function showTab(frame: FrameLocator, view: string): Promise<void> {
  await frame.locator(`[data-testid="tab-${view}"]`).click();
  await frame.locator(`[data-view="${view}"]`).waitFor({ state: 'visible' });
}

async function openFromExplorer(name: string): Promise<void> {
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
}

async function openPythonModule(): Promise<void> {
  await openFromExplorer('model.py');
  await page.locator('.monaco-editor .view-lines', { hasText: 'class Net' }).waitFor({ timeout: 30_000 });
}

async function openGraphEditor(): Promise<FrameLocator> {
  const folder = page.locator('.explorer-folders-view .monaco-list-row', { hasText: MODEL_DIR }).first();
  if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
  await openFromExplorer('model.onnx');
  return cs.webviewWith(page, '[data-testid="graph-node"]', 90_000);
}

async function captureAll(theme: Theme): Promise<void> {
  const frame = await resultsView();
  for (const view of ['stack', 'speedups', 'ops', 'timeline', 'roofline']) {
    await showTab(frame, view);
    await shot(`profile-${view}`, theme);
  }
  await openPythonModule();
  // Lenses scrolled out of view stay in the DOM, hidden.
  await page
    .locator('.monaco-editor .codelens-decoration', { hasText: /\d (ms|µs)/ })
    .filter({ visible: true })
    .first()
    .waitFor({ timeout: 30_000 });
  await shot('python-codelens', theme);
  await openGraphEditor();
  await shot('onnx-graph', theme);
}

describe('VS Code end to end (code-server + Chromium)', () => {
  beforeAll(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    const setupStart = Date.now();
    const [bin, vsix] = await Promise.all([cs.ensureCodeServer(), cs.ensureVsix()]);
    timings.setupMs = since(setupStart);
    timings.bundlesRebuilt = vsix.rebuilt;
    timings.vsixRepackaged = vsix.repackaged;

    dirs = cs.makeDirs(fs.mkdtempSync(path.join(os.tmpdir(), 'armml-e2e-')));
    const ws = path.join(dirs.workspace, MODEL_DIR);
    fs.cpSync(path.join(EXAMPLE, 'model.onnx'), path.join(ws, 'model.onnx'));
    fs.cpSync(path.join(EXAMPLE, 'test_data_set_0'), path.join(ws, 'test_data_set_0'), { recursive: true });
    fs.copyFileSync(path.join(__dirname, 'fixtures', 'model.py'), path.join(dirs.workspace, 'model.py'));
    cs.writeSettings(dirs, { ...PROFILE_SETTINGS, ...THEME_SETTINGS });
    await cs.installExtension(bin, dirs, cs.VSIX);

    const serverStart = Date.now();
    server = await cs.startServer(bin, dirs, { ARMML_ACTIVATION_FILE: path.join(dirs.root, 'activation.json') });
    browser = await cs.launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
    timings.workbenchReadyMs = since(serverStart);
  }, 600_000);

  afterEach(async ({ task }) => {
    // What the page looked like when a step failed, for the report.
    if (task.result?.state === 'fail' && page) {
      const name = task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await page.screenshot({ path: path.join(OUT, `FAILED-${name}.png`) }).catch(() => {});
    }
  });

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await server?.stop();
      if (server) fs.writeFileSync(path.join(OUT, 'code-server.log'), server.log());
      timings.totalMs = since(t0);
      fs.writeFileSync(path.join(OUT, 'timings.json'), JSON.stringify(timings, null, 2) + '\n');
      if (dirs && process.env.ARMML_E2E_KEEP !== '1') fs.rmSync(dirs.root, { recursive: true, force: true });
    }
  }, 60_000);

  it('profiles the workspace model from the command palette and shows the results', async () => {
    const start = Date.now();
    await cs.runCommand(page, 'Arm ML: Profile Model…');
    // First pick: the model (the workspace's copy, by its relative path); second: modes, defaults kept.
    await cs.pickQuickItem(page, `${MODEL_DIR}/model.onnx`);
    const modes = page.locator('.quick-input-widget', { hasText: 'execution modes' });
    await modes.waitFor({ state: 'visible', timeout: 30_000 });
    await page.keyboard.press('Enter');

    const frame = await cs.webviewWith(page, '[data-testid="run-median"]', 120_000);
    timings.profileCommandToResultsMs = since(start);

    const dir = path.join(globalStorage(), 'profiles');
    await expect
      .poll(() => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.profile.json')).length : 0), { timeout: 10_000 })
      .toBe(1);
    profileFile = path.join(
      dir,
      fs.readdirSync(dir).find((f) => f.endsWith('.profile.json'))!,
    );
    profile = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as ProfileDoc;
    expect(profile.model.path).toBe(path.join(dirs.workspace, MODEL_DIR, 'model.onnx'));
    expect(profile.runs.map((r) => r.mode)).toEqual(['baseline', 'eager', 'graph']);
    for (const r of profile.runs) {
      expect(r.outputs_ok, `${r.mode} outputs`).toBe(true);
      expect(r.latency_ms.median).toBeGreaterThan(0);
    }

    const run = shownRun(profile);
    const base = profile.runs.find((r) => r.mode === 'baseline')!;
    expect(await frame.locator('[data-testid="run-median"]').textContent()).toBe(formatMs(run.latency_ms.median));
    expect(await frame.locator('[data-testid="run-speedup"]').textContent()).toBe(
      formatSpeedup(base.latency_ms.median / run.latency_ms.median),
    );
    timings.opTableFirstPaintMs = Number(await frame.locator('html').getAttribute('data-op-table-paint-ms')) || null;
  }, 240_000);

  it('shows the software stack with the measured times', async () => {
    const doc = needProfile();
    const run = shownRun(doc);
    const frame = await resultsView();
    await showTab(frame, 'stack');
    const stack = frame.locator('[data-view="stack"]');
    await expect.poll(() => stack.locator('[data-testid="stack-block"]').count(), { timeout: 15_000 }).toBeGreaterThan(2);
    expect(await stack.locator('[data-testid="stack-summary"]').textContent()).toContain(
      `median latency ${formatMs(run.latency_ms.median)}`,
    );
    const ms = await stack.locator('[data-testid="stack-block-ms"]').allTextContents();
    const shares = await stack.locator('[data-testid="stack-block-share"]').allTextContents();
    expect(ms.length).toBeGreaterThan(2);
    for (const t of ms) expect(parseMs(t)).toBeGreaterThanOrEqual(0);
    for (const t of shares) expect(t).toMatch(/^\d+(\.\d)?%$/);
    // The kernel-family layer splits the run's op time: its blocks add up to the ops' total.
    const family = stack.locator('[data-testid="stack-block"][data-layer="families"] [data-testid="stack-block-ms"]');
    const familyMs = (await family.allTextContents()).map(parseMs);
    expect(familyMs.length).toBeGreaterThan(0);
    const opMs = run.ops.reduce((s, o) => s + o.ms, 0);
    expect(familyMs.reduce((a, b) => a + b, 0)).toBeCloseTo(opMs, 0);
  });

  it('shows the speedup of eager over baseline', async () => {
    const doc = needProfile();
    const base = doc.runs.find((r) => r.mode === 'baseline')!;
    const eager = doc.runs.find((r) => r.mode === 'eager')!;
    const frame = await resultsView();
    await showTab(frame, 'speedups');
    const bar = frame.locator('[data-view="speedups"] [data-testid="speedup-bar"][data-mode="eager"]');
    await bar.waitFor({ timeout: 15_000 });
    const expected = formatSpeedup(base.latency_ms.median / eager.latency_ms.median);
    expect(await bar.locator('text.armml-bar-value').textContent()).toBe(expected);
    expect(Number.parseFloat(expected)).toBeGreaterThan(0);
    expect(await frame.locator('[data-view="speedups"] [data-testid="op-speedup-bar"]').count()).toBeGreaterThan(0);
  });

  it('sorts the op table by time', async () => {
    const doc = needProfile();
    const run = shownRun(doc);
    const frame = await resultsView();
    await showTab(frame, 'ops');
    const table = frame.locator('[data-view="ops"] [data-testid="op-table"]');
    const header = table.locator('th[data-sort="ms"]');
    const times = async () => (await table.locator('[data-testid="op-row"] td[data-col="ms"]').allTextContents()).map(parseMs);
    expect(await frame.locator('[data-view="ops"] [data-testid="op-count"]').textContent()).toBe(
      `${run.ops.length} of ${run.ops.length} ops`,
    );

    // Opens sorted by time, slowest first; each click on the header flips the order.
    expect(await header.getAttribute('aria-sort')).toBe('descending');
    const slowest = [...run.ops].sort((a, b) => b.ms - a.ms)[0];
    expect(await table.locator('[data-testid="op-row"]').first().getAttribute('data-node')).toBe(slowest.node);
    await header.locator('button').click();
    await expect.poll(() => header.getAttribute('aria-sort')).toBe('ascending');
    const asc = await times();
    expect(asc.length).toBeGreaterThan(5);
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    expect(asc[0]).toBeCloseTo(Math.min(...run.ops.map((o) => o.ms)), 2);
    await header.locator('button').click();
    await expect.poll(() => header.getAttribute('aria-sort')).toBe('descending');
    const desc = await times();
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    expect(desc[0]).toBeCloseTo(slowest.ms, 2);
  });

  it('puts profile times on the PyTorch source lines (CodeLens and hover)', async () => {
    needProfile();
    await openPythonModule();
    const lens = page.locator('.monaco-editor .codelens-decoration', { hasText: /\d(\.\d+)? (ms|µs)/ });
    await lens.first().waitFor({ timeout: 30_000 });
    const labels = await lens.allTextContents();
    // The blocks' and the head's assignments: self.conv = ..., self.features = ..., self.classifier = ...
    expect(labels.some((l) => /\bconv\b.*ms/.test(l))).toBe(true);
    expect(labels.some((l) => /\bclassifier\b/.test(l))).toBe(true);

    // Hovering the classifier line shows its op time in markdown. The line is below the fold:
    // go there first (Ctrl+G), as the editor only renders the lines in view.
    const source = fs.readFileSync(path.join(dirs.workspace, 'model.py'), 'utf8').split('\n');
    const lineNo = source.findIndex((l) => l.includes('self.classifier = nn.Sequential')) + 1;
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').fill(`:${lineNo}`);
    await page.keyboard.press('Enter');
    const line = page.locator('.monaco-editor .view-line', { hasText: 'self.classifier = nn.Sequential' });
    await line.locator('span span', { hasText: 'classifier' }).first().hover();
    const hover = page.locator('.monaco-hover-content', { hasText: /\d (ms|µs)/ });
    await hover.first().waitFor({ state: 'visible', timeout: 15_000 });
  });

  it('opens the .onnx file from the explorer in the graph editor', async () => {
    const start = Date.now();
    const frame = await openGraphEditor();
    timings.graphEditorOpenMs = since(start);
    // One box per op plus one per graph input and output; Constants are listed as hidden. The view
    // only draws what is near the viewport, so the summary carries the counts and the DOM some nodes.
    const graph = loadModel(path.join(EXAMPLE, 'model.onnx')).graph;
    const hidden = graph.nodes.filter((n) => n.opType === 'Constant' || n.opType === 'Identity').length;
    const boxes = graph.nodes.length - hidden + graph.inputs.length + graph.outputs.length;
    const summary = frame.locator('[data-testid="graph-summary"]');
    await expect.poll(async () => (await summary.textContent()) ?? '', { timeout: 30_000 }).toMatch(new RegExp(`^${boxes} nodes`));
    expect(await summary.textContent()).toContain(`${hidden} Constant/Identity hidden`);
    expect(await frame.locator('[data-testid="graph-node"]').count()).toBeGreaterThan(3);
    expect(await frame.locator('[data-testid="graph-node"][data-node-name^="/features/"]').count()).toBeGreaterThan(0);
    // With a profile of this file the editor says which run colours it, and each op box carries
    // that run's time for the node.
    if (profile) {
      await expect.poll(async () => (await summary.textContent()) ?? '', { timeout: 30_000 }).toMatch(/ · \w+ [\d.]+ ms/);
      const mode = / · (\w+) [\d.]+ ms/.exec((await summary.textContent()) ?? '')![1];
      const run = profile.runs.find((r) => r.mode === mode);
      expect(run, `the graph names run ${mode}`).toBeDefined();
      const name = '/features/features.0/features.0.0/Conv';
      const op = run!.ops.find((o) => o.node === name)!;
      const box = frame.locator(`[data-testid="graph-node"][data-node-name="${name}"]`);
      expect(await box.getAttribute('aria-label')).toContain(`${op.ms.toFixed(3)} ms`);
      expect(await box.locator('text.sub').textContent()).toMatch(/^\d+(\.\d+)? (ms|µs) · \d+(\.\d)?%$/);
    }
  });

  it('records activation time and takes screenshots in the dark and light themes', async () => {
    const activationFile = path.join(dirs.root, 'activation.json');
    // Written as activation ends, which the first Arm ML command triggered.
    await expect
      .poll(() => fs.existsSync(activationFile), { timeout: 15_000, message: 'the extension host writes ARMML_ACTIVATION_FILE' })
      .toBe(true);
    const activation = JSON.parse(fs.readFileSync(activationFile, 'utf8')) as {
      moduleLoadMs: number;
      activateMs: number;
      totalMs: number;
      vscodeVersion: string;
    };
    expect(activation.totalMs).toBeGreaterThan(0);
    timings.activation = {
      moduleLoadMs: activation.moduleLoadMs,
      activateMs: activation.activateMs,
      totalMs: activation.totalMs,
      vscodeVersion: activation.vscodeVersion,
    };

    needProfile();
    for (const theme of ['dark', 'light'] as const) {
      await setTheme(theme);
      await captureAll(theme);
      // The webviews follow the workbench theme.
      const frame = await resultsView();
      expect(await frame.locator('body').getAttribute('class')).toContain(theme === 'dark' ? 'vscode-dark' : 'vscode-light');
    }
    for (const theme of ['dark', 'light']) expect(fs.existsSync(path.join(OUT, `profile-stack-${theme}.png`))).toBe(true);
  }, 240_000);

  it('draws a profile from the CLI and one from the extension exactly as the CLI report does', async () => {
    const doc = needProfile();
    // The CLI profiles the same model, as a user would in a terminal.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'armml-e2e-cli-'));
    const json = path.join(tmp, 'cli.profile.json');
    const model = path.join(dirs.workspace, MODEL_DIR, 'model.onnx');
    await execFileP(process.execPath, [path.join(cs.ROOT, 'dist', 'cli.js'), 'profile', model, '--modes', 'baseline,eager', '--iters', '3', '--warmup', '1', '--json', json]);
    const cli = JSON.parse(fs.readFileSync(json, 'utf8')) as ProfileDoc;

    // The extension opens it beside its own profile (newest selected), and `armml profile --html`'s
    // renderer draws the same two in a page of the webview's size.
    await cs.openProfileFile(page, json);
    const frame = await cs.webviewWith(page, '[data-testid="profile-select"]');
    await expect.poll(() => frame.locator('[data-testid="profile-select"] vscode-option').count(), { timeout: 30_000 }).toBe(2);
    fs.writeFileSync(path.join(tmp, 'report.html'), renderHtmlReport([doc, cli]));
    const size = (await frame.locator('html').evaluate('[window.innerWidth, window.innerHeight]')) as [number, number];
    const report = await browser!.newPage({ viewport: { width: size[0], height: size[1] } });
    try {
      await report.goto(`file://${path.join(tmp, 'report.html')}`);
      // VS Code pads webview bodies its own way: match the viewer's width, not the window's.
      const rootWidth = (loc: { evaluate(s: string): Promise<unknown> }) =>
        loc.evaluate('document.querySelector(\'[data-testid="armml-app"]\').clientWidth') as Promise<number>;
      const delta = (await rootWidth(frame.locator('html'))) - (await rootWidth(report));
      if (delta !== 0) {
        await report.setViewportSize({ width: size[0] + delta, height: size[1] });
        await report.reload();
      }
      expect(await rootWidth(report)).toBe(await rootWidth(frame.locator('html')));

      for (const [index, name] of [[1, 'CLI'], [0, 'extension']] as const) {
        if (index === 0)
          for (const target of [frame, report]) {
            await target.locator('[data-testid="profile-select"]').click();
            await target.locator('[data-testid="profile-select"]').getByRole('option').nth(0).click();
            await target.locator('.armml-title h1', { hasText: doc.model.name }).waitFor();
          }
        for (const view of ['stack', 'speedups', 'ops', 'timeline', 'roofline'] as const) {
          await showTab(frame, view);
          await report.locator(`[data-testid="tab-${view}"]`).click();
          await report.locator(`[data-view="${view}"]`).waitFor({ state: 'visible' });
          const webview = (await frame.locator('html').evaluate(renderSignatureScript(view))) as string[];
          const standalone = (await report.evaluate(renderSignatureScript(view))) as string[];
          expect(webview.length, `${name} profile, ${view}: elements drawn`).toBeGreaterThan(10);
          expect(webview, `${name} profile, ${view}: webview vs report`).toEqual(standalone);
        }
      }
    } finally {
      await report.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 240_000);
});
