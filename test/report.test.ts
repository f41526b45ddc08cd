// The standalone HTML report, opened in headless Chromium the way a person would: every view
// shows the measured numbers, the op table sorts, filters and follows the stack view, a 10k-op
// profile paints fast, and nothing trips the report's strict CSP. Screenshots of every view in
// light and dark land in test-results/report/.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileDoc } from '../engine/profile.js';
import { jsonForScript, renderHtmlReport } from '../engine/report/html.js';
import { formatMs } from '../common/format.js';
import { bigProfile } from './support/big-profile.js';
import { ROOT, SHARED } from './support/paths.js';
import { CHROMIUM, launchChromiumContext } from './support/chromium.js';
import { buildViewer } from './support/viewer-bundle.js';

const SHOTS = path.join(ROOT, 'test-results/report');
const FIXTURES = path.join(ROOT, 'test/fixtures/profile');
const MNIST = path.join(SHARED, 'models/mnist-8/model.onnx');
const VIEWS = ['stack', 'speedups', 'ops', 'timeline', 'roofline'] as const;
const load = (name: string): ProfileDoc => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));

describe('HTML report document', () => {
  const assets = fs.mkdtempSync(path.join(os.tmpdir(), 'armml-assets-'));
  fs.writeFileSync(path.join(assets, 'webview.js'), 'window.__x = "</script>";');
  fs.writeFileSync(path.join(assets, 'webview.css'), 'body{}');

  it('inlines script and style under a nonce-only CSP and escapes the data', () => {
    const doc = load('tiny-cnn.profile.json');
    doc.runs[1].ops[0].node = '</script><script>alert(1)</script><!--';
    const html = renderHtmlReport([doc], { assetsDir: assets });
    const nonce = /script-src 'nonce-([^']+)'/.exec(html)?.[1];
    expect(nonce).toBeTruthy();
    expect(html).toContain(`default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'`);
    expect(html).toContain(`<script nonce="${nonce}">window.__x = "<\\/script>";</script>`);
    expect(html).toContain(`<style nonce="${nonce}">body{}</style>`);
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('unsafe-inline');
    // The data block parses back to the same documents.
    const block = /<script type="application\/json" id="armml-profiles">([^<]*)<\/script>/.exec(html)![1];
    expect(JSON.parse(block)[0].runs[1].ops[0].node).toBe('</script><script>alert(1)</script><!--');
    expect(jsonForScript({ a: '<b>' })).toBe('{"a":"\\u003cb\\u003e"}');
    expect(renderHtmlReport([doc], { assetsDir: assets })).not.toContain(`'nonce-${nonce}'`);
  });

  it('names the missing bundle instead of writing a broken report', () => {
    expect(() => renderHtmlReport([], { assetsDir: path.join(assets, 'nowhere') })).toThrow(/webview\.js/);
  });
});

describe('HTML report in Chromium', () => {
  it('has Chromium to run with', () => {
    expect(fs.existsSync(CHROMIUM), `needs ${CHROMIUM} (apt-get install chromium)`).toBe(true);
  });

  let context: BrowserContext;
  let page: Page;
  let dir: string;
  const problems: string[] = [];

  async function open(file: string, hash = ''): Promise<void> {
    // A new document each time: going from a.html to a.html#ops would only change the hash.
    await page.goto('about:blank');
    await page.goto(`file://${file}${hash}`);
    await page.waitForSelector('[data-testid="op-row"]', { state: 'attached' });
  }
  const text = (selector: string) => page.locator(selector).first().innerText();
  const nodesInTable = () => page.locator('[data-testid="op-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-node')));

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armml-report-'));
    await buildViewer(dir);
    fs.writeFileSync(
      path.join(dir, 'small.html'),
      renderHtmlReport([load('mnist-8.profile.json'), load('tiny-cnn.profile.json')], { assetsDir: dir }),
    );
    fs.writeFileSync(path.join(dir, 'big.html'), renderHtmlReport([bigProfile(10_000)], { assetsDir: dir }));
    context = await launchChromiumContext({ width: 1280, height: 820 });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await context?.close();
  });

  it('shows the measured numbers in every view', async () => {
    await open(path.join(dir, 'small.html'));
    // The newest profile (tiny-cnn, eager) is selected.
    expect(await text('[data-testid="run-summary"]')).toContain('2.50 ms');
    expect(await text('[data-testid="run-speedup"]')).toBe('4.00x');

    const acl = page.locator('[data-testid="stack-block"][data-facet-value="ACL-style fp32"]');
    expect(await acl.innerText()).toMatch(/1\.20 ms · 48\.0%/);
    expect(await text('[data-testid="stack-block"][data-block="dispatcher"]')).toMatch(/0\.250 ms · 10\.0%/);
    expect(await text('[data-testid="stack-block"][data-layer="passes"]')).toContain('eager: none');
    expect(await text('[data-testid="stack-block"][data-facet-value="neon"]')).toMatch(/1\.70 ms · 68\.0%/);

    await page.click('[data-testid="tab-speedups"]');
    expect(await page.locator('[data-testid="speedup-bar"][data-profile="1"][data-mode="graph"]').textContent()).toContain('8.00x');
    expect(await page.locator('[data-testid="speedup-bar"][data-profile="1"][data-mode="eager"]').textContent()).toContain('4.00x');
    expect(await page.locator('[data-testid="speedup-bar"][data-profile="0"][data-mode="eager"]').textContent()).toContain('2.72x');
    expect(await page.locator('[data-testid="op-speedup-bar"][data-node="fc"][data-mode="graph"]').textContent()).toContain('10.00x');

    await page.click('[data-testid="tab-ops"]');
    expect(await nodesInTable()).toEqual(['conv1', 'relu', 'add', 'fc']);
    const first = page.locator('[data-testid="op-row"]').first();
    expect(await first.locator('[data-col="ms"]').innerText()).toBe('1.20 ms');
    expect(await first.locator('[data-col="share"]').innerText()).toBe('53.3%');
    expect(await first.locator('[data-col="gflops"]').innerText()).toBe('5.0');

    await page.click('[data-testid="tab-timeline"]');
    expect(await page.locator('[data-testid="timeline-event"]').count()).toBe(4);
    expect(await text('[data-testid="timeline-summary"]')).toContain('2.45 ms');
    // Zooming in by keyboard narrows the shown range.
    await page.focus('[data-testid="timeline-canvas"]');
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    expect(await text('[data-testid="timeline-range"]')).not.toContain('2.45 ms');
    await page.keyboard.press('0');
    expect(await text('[data-testid="timeline-range"]')).toMatch(/0 ms – 2\.45 ms/);

    await page.click('[data-testid="tab-roofline"]');
    expect(await page.locator('[data-testid="roofline-point"]').count()).toBe(4);
    expect(await page.locator('[data-testid="roofline-roof"]').count()).toBe(2);
    expect(await text('[data-testid="roofline-note"]')).toContain('200.0 GFLOP/s and 50.0 GB/s');
    expect(await page.locator('[data-testid="roofline-point"][data-node="fc"] title').textContent()).toContain(
      '8.0 GFLOP/s at 5.00 FLOP/byte',
    );
    expect(problems).toEqual([]);
  });

  it('sorts the op table by any header, with the mouse or the keyboard', async () => {
    await open(path.join(dir, 'small.html'), '#ops');
    const ms = page.locator('th[data-sort="ms"]');
    expect(await ms.getAttribute('aria-sort')).toBe('descending');
    await ms.locator('button').click();
    expect(await ms.getAttribute('aria-sort')).toBe('ascending');
    expect(await nodesInTable()).toEqual(['fc', 'add', 'relu', 'conv1']);
    await ms.locator('button').click();
    expect(await nodesInTable()).toEqual(['conv1', 'relu', 'add', 'fc']);
    await page.locator('th[data-sort="op"] button').focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('[data-testid="op-row"] [data-col="op"]').allInnerTexts()).toEqual(['Add', 'Conv', 'MatMul', 'Relu']);
    await page.keyboard.press(' ');
    expect(await page.locator('[data-testid="op-row"] [data-col="op"]').allInnerTexts()).toEqual(['Relu', 'MatMul', 'Conv', 'Add']);
  });

  it('filters the op table by text', async () => {
    await open(path.join(dir, 'small.html'), '#ops');
    await page.locator('[data-testid="op-filter"] input').fill('neon');
    expect(await nodesInTable()).toEqual(['conv1', 'relu']);
    expect(await text('[data-testid="op-count"]')).toBe('2 of 4 ops');
    await page.locator('[data-testid="op-filter"] input').fill('no such kernel');
    expect(await nodesInTable()).toEqual([]);
    expect(await text('[data-testid="op-table"] tbody')).toContain('No op matches the filter.');
    await page.locator('[data-testid="op-filter"] input').fill('');
    expect(await text('[data-testid="op-count"]')).toBe('4 of 4 ops');
  });

  it('filters the op table to a stack block when it is clicked or pressed', async () => {
    await open(path.join(dir, 'small.html'));
    await page.click('[data-testid="stack-block"][data-facet-value="reference"]');
    await page.waitForSelector('vscode-tab-panel[data-view="ops"]:not([hidden])');
    expect(await page.isVisible('[data-testid="op-table"]')).toBe(true);
    expect(await nodesInTable()).toEqual(['add']);
    expect(await text('[data-testid="op-facet"]')).toContain('kernel family: reference');
    await page.click('[data-testid="op-facet-clear"]');
    expect(await nodesInTable()).toHaveLength(4);

    await page.click('[data-testid="tab-stack"]');
    await page.focus('[data-testid="stack-block"][data-facet-value="neon"]');
    await page.keyboard.press(' ');
    await page.waitForSelector('vscode-tab-panel[data-view="ops"]:not([hidden])');
    expect(await nodesInTable()).toEqual(['conv1', 'relu']);
    expect(await text('[data-testid="op-facet"]')).toContain('ISA: neon');
  });

  it('is what `armml profile --html` writes, with the same numbers as its JSON', async () => {
    const cli = path.join(ROOT, 'dist/cli.js');
    if (!fs.existsSync(cli) || !fs.existsSync(path.join(ROOT, 'dist/webview.js')))
      execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    const html = path.join(dir, 'cli', 'mnist.html');
    const json = path.join(dir, 'cli', 'mnist.json');
    const r = spawnSync(
      process.execPath,
      [cli, 'profile', MNIST, '--modes', 'baseline,eager', '--warmup', '0', '--iters', '2', '--json', json, '--html', html],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`report written to ${html}`);
    const doc = JSON.parse(fs.readFileSync(json, 'utf8')) as ProfileDoc;
    await open(html);
    expect(await text('.armml-title h1')).toBe('mnist-8');
    expect(await text('[data-testid="run-median"]')).toBe(formatMs(doc.runs[1].latency_ms.median));
    expect(await page.locator('[data-testid="op-row"]').count()).toBe(doc.runs[1].ops.length);
    expect(problems).toEqual([]);
  });

  it('says why when its embedded profile data cannot be read', async () => {
    const file = path.join(dir, 'corrupt.html');
    const html = renderHtmlReport([], { assetsDir: dir });
    fs.writeFileSync(file, html.replace(/(<script type="application\/json" id="armml-profiles">)\[\](<\/script>)/, '$1[{"schema": "armml.prof$2'));
    await page.goto('about:blank');
    await page.goto(`file://${file}`);
    await page.locator('[data-testid="load-error"]').waitFor();
    expect(await text('[data-testid="load-error"]')).toMatch(/^The report's embedded profile data is not valid JSON: /);
    expect(await page.locator('[data-testid="empty"]').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('switches runs and profiles from the pickers', async () => {
    await open(path.join(dir, 'small.html'));
    await page.click('[data-testid="run-select"]');
    await page.locator('[data-testid="run-select"]').getByRole('option', { name: 'baseline · 1 thread', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="stack-summary"]')?.textContent?.startsWith('baseline'));
    expect(await text('[data-testid="run-median"]')).toBe('10.0 ms');
    expect(await text('[data-testid="stack-block"][data-facet-value="reference"]')).toMatch(/9\.50 ms · 95\.0%/);
    await page.click('[data-testid="profile-select"]');
    await page.locator('[data-testid="profile-select"]').getByRole('option', { name: 'mnist-8 · vm · 2 threads', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('.armml-title h1')?.textContent === 'mnist-8');
    await page.click('[data-testid="tab-roofline"]');
    expect(await text('[data-testid="roofline-note"]')).toMatch(/not measured/);
    expect(problems).toEqual([]);
  });

  it('paints a 10k-op profile in under a second and keeps the DOM small', async () => {
    const file = path.join(dir, 'big.html');
    // The min of 3 attempts: a loaded machine can stall one load; bench/ui.ts has the measured median.
    let firstPaint = Infinity;
    for (let attempt = 0; attempt < 3; attempt++) {
      // A new document each attempt: going to the same URL again would only be a fragment navigation.
      await page.goto('about:blank');
      await page.goto(`file://${file}#ops`);
      await page.locator('[data-testid="op-row"]').first().waitFor({ state: 'visible' });
      // performance.now() counts from the start of navigation.
      const ms = await page.evaluate(() => performance.now());
      const appMs = Number(await page.evaluate(() => document.documentElement.dataset.opTablePaintMs));
      console.log(
        `report first paint, 10k op rows: table populated at ${appMs.toFixed(0)} ms, visible at ${ms.toFixed(0)} ms after navigation (attempt ${attempt + 1})`,
      );
      firstPaint = Math.min(firstPaint, ms);
    }
    expect(firstPaint).toBeLessThan(1000);
    expect(await text('[data-testid="op-count"]')).toBe('10,000 of 10,000 ops');
    expect(await page.locator('[data-testid="op-row"]').count()).toBeLessThan(150);
    // The last row is reachable by scrolling.
    await page.locator('[data-testid="op-table-scroll"]').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForFunction(() => document.querySelector('[data-testid="op-row"][aria-rowindex="10001"]') !== null);
    // Sorting and filtering 10k rows stay interactive.
    const t0 = Date.now();
    await page.locator('th[data-sort="node"] button').click();
    await page.locator('[data-testid="op-filter"] input').fill('layer1999/');
    expect(await nodesInTable()).toEqual([
      'layer1999/op9995',
      'layer1999/op9996',
      'layer1999/op9997',
      'layer1999/op9998',
      'layer1999/op9999',
    ]);
    expect(Date.now() - t0).toBeLessThan(2000);
    // The timeline and roofline of 10k ops draw too; this profile has no measured roofs.
    await page.click('[data-testid="tab-timeline"]');
    expect(await page.locator('[data-testid="timeline-event"]').count()).toBeGreaterThan(100);
    await page.click('[data-testid="tab-roofline"]');
    expect(await text('[data-testid="roofline-note"]')).toMatch(/not measured/);
    expect(await page.locator('[data-testid="roofline-roof"]').count()).toBe(0);
    expect(await page.locator('[data-testid="roofline-point"]').count()).toBe(10_000);
    expect(problems).toEqual([]);
  });

  it('takes screenshots of every view in light and dark', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await open(path.join(dir, 'small.html'));
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(background).toBe(scheme === 'light' ? 'rgb(255, 255, 255)' : 'rgb(31, 31, 31)');
      for (const view of VIEWS) {
        await page.click(`[data-testid="tab-${view}"]`);
        await page.waitForSelector(`vscode-tab-panel[data-view="${view}"]:not([hidden])`);
        await page.screenshot({ path: path.join(SHOTS, `${view}-${scheme}.png`) });
      }
    }
    // High contrast outside VS Code: black background, and still every number readable.
    await page.emulateMedia({ colorScheme: 'dark', contrast: 'more' });
    await open(path.join(dir, 'small.html'));
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(0, 0, 0)');
    await page.screenshot({ path: path.join(SHOTS, 'stack-high-contrast.png') });
    await page.emulateMedia({ colorScheme: 'light', contrast: 'no-preference' });
    expect(fs.readdirSync(SHOTS).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(10);
    expect(problems).toEqual([]);
  });
});
