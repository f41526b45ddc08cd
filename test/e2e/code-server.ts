// Harness for the end-to-end test: a real VS Code (code-server, installed by scripts/e2e-setup.sh)
// driven through Debian's Chromium with playwright-core. See RECIPES.md "A real VS Code in tests"
// for why each flag and setting below is there.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';

const run = promisify(execFile);

export const ROOT = path.resolve(__dirname, '../..');
export const VSIX = path.join(ROOT, 'dist', 'arm-ml-profiler.vsix');
export { CHROMIUM } from '../support/chromium.js';
/** The extension's id (publisher.name), which names its globalStorage folder. */
export const EXTENSION_ID = 'arm-ml-profiler.arm-ml-profiler';

/** Installs code-server if needed; returns its executable. */
export async function ensureCodeServer(): Promise<string> {
  const { stdout } = await run('bash', [path.join(ROOT, 'scripts', 'e2e-setup.sh')], { maxBuffer: 16 << 20 });
  const bin = stdout.trim().split('\n').pop()!;
  if (!fs.existsSync(bin)) throw new Error(`e2e-setup.sh printed ${bin}, which does not exist`);
  return bin;
}

function newestMtime(entry: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(entry);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const child of fs.readdirSync(entry)) {
    if (child === 'node_modules' || child.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(path.join(entry, child)));
  }
  return newest;
}

/** What the bundles in dist/ are built from (scripts/build.mjs). */
const BUNDLE_SOURCES = ['package.json', 'scripts/build.mjs', 'extension', 'agent', 'common', 'engine', 'webview'];
const BUNDLES = ['extension.js', 'host.js', 'agent.js', 'webview.js', 'graph.js'].map((f) => path.join('dist', f));
/** What else goes into the .vsix besides the bundles (.vscodeignore). */
const PACKAGE_INPUTS = ['package.json', '.vscodeignore', 'README.md', 'media', 'examples', 'build/Release/armml.node', ...BUNDLES];

/**
 * Makes dist/arm-ml-profiler.vsix current: rebuilds the bundles only when a source is newer than
 * one of them (other suites may be running dist/cli.js, so an unneeded rebuild is avoided), and
 * repackages when anything the package holds is newer than it.
 */
export async function ensureVsix(): Promise<{ rebuilt: boolean; repackaged: boolean }> {
  const mtime = (f: string) => (fs.existsSync(path.join(ROOT, f)) ? fs.statSync(path.join(ROOT, f)).mtimeMs : 0);
  const env = { ...process.env, npm_config_yes: 'true' };
  const oldestBundle = Math.min(...BUNDLES.map(mtime));
  const rebuilt = oldestBundle <= Math.max(...BUNDLE_SOURCES.map((s) => newestMtime(path.join(ROOT, s))));
  if (rebuilt) await run('npm', ['run', 'build'], { cwd: ROOT, env, maxBuffer: 64 << 20 });
  const repackaged = mtime(path.relative(ROOT, VSIX)) <= Math.max(...PACKAGE_INPUTS.map((s) => newestMtime(path.join(ROOT, s))));
  if (repackaged) await run('npm', ['run', 'package'], { cwd: ROOT, env, maxBuffer: 64 << 20 });
  if (!fs.existsSync(VSIX)) throw new Error('npm run package did not produce dist/arm-ml-profiler.vsix');
  return { rebuilt, repackaged };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerDirs {
  /** Scratch root holding everything below. */
  root: string;
  home: string;
  userData: string;
  extensions: string;
  workspace: string;
}

export function makeDirs(root: string): ServerDirs {
  const dirs: ServerDirs = {
    root,
    home: path.join(root, 'home'),
    userData: path.join(root, 'user-data'),
    extensions: path.join(root, 'extensions'),
    workspace: path.join(root, 'workspace'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  return dirs;
}

export const BASE_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'editor.codeLens': true,
  // Keeps the webview's document at one stable frame depth for the selectors.
  'workbench.editor.enablePreview': false,
  'chat.disableAIFeatures': true,
};

export function settingsFile(dirs: ServerDirs): string {
  return path.join(dirs.userData, 'User', 'settings.json');
}

export function writeSettings(dirs: ServerDirs, extra: Record<string, unknown>): void {
  const file = settingsFile(dirs);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...BASE_SETTINGS, ...extra }, null, 2));
}

function serverEnv(dirs: ServerDirs, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: path.join(dirs.home, '.config'),
    XDG_DATA_HOME: path.join(dirs.home, '.local/share'),
    ...extra,
  };
  // Vitest's own variables would leak into the extension host otherwise.
  for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k === 'NODE_OPTIONS') delete env[k];
  return env;
}

export async function installExtension(bin: string, dirs: ServerDirs, vsix: string): Promise<void> {
  await run(bin, ['--extensions-dir', dirs.extensions, '--user-data-dir', dirs.userData, '--install-extension', vsix, '--force'], {
    env: serverEnv(dirs, {}),
    maxBuffer: 16 << 20,
  });
}

export interface Server {
  url: string;
  child: ChildProcess;
  log: () => string;
  stop: () => Promise<void>;
}

/** Starts code-server in its own process group and waits for /healthz. */
export async function startServer(bin: string, dirs: ServerDirs, env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const args = [
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--extensions-dir',
    dirs.extensions,
    '--user-data-dir',
    dirs.userData,
    dirs.workspace,
  ];
  // detached: a new session and process group, so stop() can take the extension hosts down too.
  const child = spawn(bin, args, { detached: true, env: serverEnv(dirs, env), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (b: Buffer) => {
    log += b.toString();
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = async () => {
    if (exited || child.pid === undefined) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000));
    if ((await Promise.race([gone, timer])) === 'timeout') {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    // The group may outlive its leader (extension hosts, agents): make sure it is empty.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Nothing left.
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`code-server exited during start-up:\n${log}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer /healthz within 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, child, log: () => log, stop };
}

/** Playwright gives each launch a fresh temporary profile (it refuses --user-data-dir in args). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** The document inside a webview editor: VS Code nests it two iframes deep. */
export function webviewFrame(page: Page, nth = 0): FrameLocator {
  return page.locator('iframe.webview.ready').nth(nth).contentFrame().frameLocator('#active-frame');
}

/**
 * Runs a command by its palette title ("Arm ML: Profile Model…"). Extension contributions reach
 * the palette a few seconds after the workbench is drawn, and an open palette does not refresh its
 * list, so it is reopened until the command shows up (or until it stays open long enough to type in).
 */
export async function runCommand(page: Page, title: string, timeoutMs = 60_000): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    try {
      // The palette can close again as it opens (focus taken by a notification or a view that
      // finished loading): then it is opened once more, like the missing command below.
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${title}`, { timeout: 5000 });
      await row.waitFor({ state: 'visible', timeout: 3000 });
      break;
    } catch (e) {
      if (Date.now() > deadline)
        throw new Error(`command "${title}" did not appear in the palette within ${timeoutMs / 1000} s`, { cause: e });
    }
  }
  await row.click();
}

/** Picks the quick-pick row containing text (the palette must already show the pick). */
export async function pickQuickItem(page: Page, text: string | RegExp): Promise<void> {
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

/** The first webview document that has an element matching selector (polled until timeout). */
export async function webviewWith(page: Page, selector: string, timeoutMs = 60_000): Promise<FrameLocator> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await page.locator('iframe.webview.ready').count();
    for (let i = 0; i < n; i++) {
      const frame = webviewFrame(page, i);
      if (
        (await frame
          .locator(selector)
          .count()
          .catch(() => 0)) > 0
      )
        return frame;
    }
    if (Date.now() > deadline) throw new Error(`no webview shows ${selector} after ${timeoutMs / 1000} s (${n} webview(s) open)`);
    await page.waitForTimeout(250);
  }
}

/**
 * Opens a profile file through "Arm ML: Open Profile…" and VS Code's own file dialog (the simple
 * one, in code-server). Returns Date.now() at the Enter that accepts the file.
 */
export async function openProfileFile(page: Page, file: string): Promise<number> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input');
  const dialog = page.locator('.quick-input-widget', { hasText: 'armml.profile/1' });
  // A loaded machine can swallow a keystroke while the palette or the dialog is still settling: retry.
  for (let attempt = 1; ; attempt++) {
    try {
      await runCommand(page, 'Arm ML: Open Profile');
      await dialog.waitFor({ state: 'visible', timeout: 15_000 });
      // The dialog fills in its default folder asynchronously, over anything typed before that.
      await poll('the file dialog to settle', 15_000, async () => ((await input.inputValue()).includes('/') ? true : undefined));
      await page.waitForTimeout(300);
      await input.fill(file);
      // The dialog resolves the typed path as it goes: wait until it lists the file.
      await widget.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(file) }).first().waitFor({ timeout: 15_000 });
      await page.waitForTimeout(300);
      if ((await input.inputValue()) !== file) throw new Error('the file dialog replaced the typed path');
      const at = Date.now();
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
      return at;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

/** Polls `probe` every 100 ms until it returns a value, or throws naming `what` after timeoutMs. */
export async function poll<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
