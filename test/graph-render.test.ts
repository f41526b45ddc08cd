// Renders the graph view bundle in headless Chromium with a real model's layout, the way the
// webview shows it, and checks what a person would: nodes drawn, search, details on click.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGraphView, type GraphView } from '../common/graphview.js';
import { loadModel } from '../engine/onnx/loader.js';
import type { ModeRun } from '../engine/profile.js';
import { ROOT, SHARED } from './support/paths.js';
import { CHROMIUM, launchChromiumContext } from './support/chromium.js';

const MODEL = path.join(SHARED, 'models/ppocr_v4_det/model.onnx');
const SHOTS = path.join(ROOT, 'test-results/graph');
const canRun = fs.existsSync(CHROMIUM) && fs.existsSync(MODEL);

/** A profile run with made-up but plausible times: convolutions dominate, like in the real model. */
function fakeRun(nodes: { name: string; opType: string }[]): ModeRun {
  const ops = nodes
    .filter((n) => n.opType !== 'Constant')
    .map((n, i) => ({ node: n.name, op: n.opType, ms: n.opType === 'Conv' ? 0.2 + (i % 13) * 0.15 : 0.01 + (i % 5) * 0.005 }));
  const total = ops.reduce((a, o) => a + o.ms, 0);
  return {
    mode: 'eager',
    threads: 2,
    latency_ms: { n: 1, median: total, p10: total, p90: total, min: total },
    outputs_ok: true,
    max_abs_err: 0,
    checked_against: 'baseline',
    timeline: [],
    ops: ops.map((o) => ({
      ...o,
      kernel: o.op === 'Conv' ? 'conv_im2col_matmul_f32_6x16_avx2_fma' : 'ts_elementwise_f32',
      isa: o.op === 'Conv' ? 'avx2_fma' : 'scalar',
      calls: 1,
      share: o.ms / total,
      flops: 0,
      bytes: 0,
      gflops: 0,
      shapes: [[1, 3, 640, 640]],
    })),
  } as ModeRun;
}

describe('graph view in Chromium', () => {
  it('has Chromium and the graph bundle to run with', () => {
    expect(canRun, 'needs /usr/bin/chromium (apt-get install chromium) and ../shared/testdata/models/ppocr_v4_det').toBe(true);
  });

  let browser: Browser;
  let page: Page;
  let graph: GraphView;
  let userDataDir: string;

  beforeAll(async () => {
    const model = loadModel(MODEL);
    graph = buildGraphView(model, fakeRun(model.graph.nodes));
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'armml-graph-'));
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'armml-chromium-'));
    await build({ entryPoints: [path.join(ROOT, 'webview/graph/main.ts')], outfile: path.join(outdir, 'graph.js'), bundle: true, platform: 'browser', format: 'iife', logLevel: 'silent' });
    const js = fs.readFileSync(path.join(outdir, 'graph.js'), 'utf8');
    const css = fs.readFileSync(path.join(outdir, 'graph.css'), 'utf8');
    const context = await launchChromiumContext({ width: 1280, height: 800 });
    browser = context.browser()!;
    page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // '<' inside the JSON must not close the script element early.
    const data = JSON.stringify(graph).replace(/</g, '\\u003c');
    await page.setContent(`<!doctype html><html><head><style>${css}</style></head><body><div id="armml-graph"></div><script>window.ARMML_GRAPH=${data};</script><script>${js}</script></body></html>`);
    await page.waitForSelector('[data-testid="graph-node"]');
    expect(errors).toEqual([]);
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  it('draws only the visible part of the graph, with labels', async () => {
    const drawn = await page.locator('[data-testid="graph-node"]').count();
    expect(drawn).toBeGreaterThan(5);
    // Virtualized: a 300+-node graph fitted at readable scale does not put every node in the DOM.
    expect(drawn).toBeLessThan(graph.nodes.length);
    await expect.poll(() => page.locator('[data-testid="graph-summary"]').textContent()).toContain(`${graph.nodes.length} nodes`);
    const firstLabel = await page.locator('[data-testid="graph-node"] text.op').first().textContent();
    expect(firstLabel?.length).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, 'overview.png') });
  });

  it('colours the hottest node with the hot colour', async () => {
    const hottest = graph.nodes.reduce((a, b) => (b.heat > a.heat ? b : a));
    await page.fill('[data-testid="graph-search"]', hottest.name);
    const node = page.locator(`[data-testid="graph-node"][data-node-id="${hottest.id}"]`);
    await expect.poll(() => node.count()).toBe(1);
    const fill = await node.locator('rect').evaluate((r) => getComputedStyle(r).fill);
    // Fallback hot colour #e5484d = rgb(229, 72, 77) at 100%.
    expect(fill).toMatch(/229, 72, 77|0\.898/);
  });

  it('search finds a node by op type, pans to it and shows its details', async () => {
    const target = graph.nodes.filter((n) => `${n.label} ${n.name}`.toLowerCase().includes('sigmoid')).at(-1)!;
    expect(target).toBeDefined();
    await page.fill('[data-testid="graph-search"]', 'sigmoid');
    const count = await page.locator('[data-testid="graph-search-count"]').textContent();
    const sigmoids = graph.nodes.filter((n) => `${n.label} ${n.name}`.toLowerCase().includes('sigmoid')).length;
    expect(sigmoids).toBeGreaterThan(1);
    expect(count).toBe(`1 of ${sigmoids}`);
    // Enter steps to the next match; Shift+Enter back to the last one.
    await page.press('[data-testid="graph-search"]', 'Shift+Enter');
    const node = page.locator(`[data-testid="graph-node"][data-node-id="${target.id}"]`);
    await expect.poll(() => node.getAttribute('class')).toContain('match');
    const box = await node.boundingBox();
    expect(box).not.toBeNull();
    // Panned into the middle of the 1280x800 viewport.
    expect(Math.abs(box!.x + box!.width / 2 - 640)).toBeLessThan(80);
    const details = page.locator('[data-testid="graph-details"]');
    await expect.poll(() => details.isVisible()).toBe(true);
    expect(await details.textContent()).toContain(target.name);
    await page.screenshot({ path: path.join(SHOTS, 'search.png') });
  });

  it('clicking a Conv node shows kernel, time, shapes and attributes', async () => {
    await page.fill('[data-testid="graph-search"]', '');
    // The search left the view zoomed in on a match near the bottom; the first Conv is at the top.
    await page.evaluate(() => window.postMessage({ type: 'graph', graph: window.ARMML_GRAPH }, '*'));
    const conv = page.locator('[data-testid="graph-node"]', { has: page.locator('text.op', { hasText: /^Conv$/ }) }).first();
    const name = await conv.getAttribute('data-node-name');
    await conv.click();
    const details = page.locator('[data-testid="graph-details"]');
    await expect.poll(() => details.textContent()).toContain(name!);
    const text = (await details.textContent())!;
    expect(text).toContain('conv_im2col_matmul_f32_6x16_avx2_fma');
    expect(text).toContain('kernel_shape');
    expect(text).toMatch(/\d+x\d+x\d+x\d+/);
    await expect.poll(() => conv.getAttribute('class')).toContain('selected');
    await page.screenshot({ path: path.join(SHOTS, 'details.png') });
  });

  it('is keyboard reachable: Enter on a focused node selects it, Escape clears', async () => {
    const nodes = page.locator('[data-testid="graph-node"]');
    const second = nodes.nth(1);
    const name = await second.getAttribute('data-node-name');
    await second.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-testid="graph-details"]').textContent()).toContain(name!);
    await page.focus('[data-testid="graph-canvas"]');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('[data-testid="graph-details"]').isHidden()).toBe(true);
  });

  it('accepts a graph sent as a message', async () => {
    const small: GraphView = { ...graph, nodes: graph.nodes.slice(0, 3), edges: [], width: 400, height: 300, hiddenNodes: 0 };
    await page.evaluate((g) => window.postMessage({ type: 'graph', graph: g }, '*'), small as unknown as Record<string, unknown>);
    await expect.poll(() => page.locator('[data-testid="graph-summary"]').textContent()).toContain('3 nodes');
  });
});
