// Entry of the extension (dist/extension.js). Kept small on purpose: activation registers commands,
// the .onnx editor, the output channel and the status bar, and nothing else. Everything heavier
// (agent supervision, panels, hotspots) lives in dist/host.js and is required on first use.
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Host } from './host.js';
import { activationSummary, writeActivationRecord, ACTIVATION_FILE, type ActivationRecord } from './activation.js';
import { statusBarText, statusBarTooltip } from './logic.js';
import { COMMANDS } from './commands.js';

/** Set by the bundle's first line (see scripts/build.mjs) so module load time covers the whole file. */
declare const __armmlLoadStart: number | undefined;
const loadStart = typeof __armmlLoadStart === 'number' ? __armmlLoadStart : performance.now();


let host: Host | undefined;
let lastActivation: ActivationRecord | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const t0 = performance.now();
  const output = vscode.window.createOutputChannel('Arm ML Profiler', { log: true });
  const status = vscode.window.createStatusBarItem('armml.target', vscode.StatusBarAlignment.Right, 100);
  status.name = 'Arm ML Profiler target';
  status.text = `$(chip) ${statusBarText('local', null, os.cpus()[0]?.model)}`;
  status.tooltip = statusBarTooltip('local', null);
  status.command = 'armml.showCpuFeatures';
  status.show();
  context.subscriptions.push(output, status);

  const getHost = (): Host => {
    if (!host) {
      // A separate bundle, loaded only now: esbuild cannot see through the computed path.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(__dirname, 'host.js')) as typeof import('./host.js');
      host = mod.createHost({ context, output, status });
      context.subscriptions.push(host);
    }
    return host;
  };

  for (const id of COMMANDS) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await getHost().run(id, args);
        } catch (e) {
          output.error(`${id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
          void vscode.window.showErrorMessage(`Arm ML Profiler: ${e instanceof Error ? e.message : String(e)}`);
          return undefined;
        }
      }),
    );
  }
  // For the e2e test and the benchmark: the numbers below, without reading files.
  context.subscriptions.push(vscode.commands.registerCommand('armml.activationTiming', () => lastActivation));

  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(
      'armml.onnxGraph',
      {
        openCustomDocument: (uri) => ({ uri, dispose: () => {} }),
        resolveCustomEditor: (document, panel, token) => getHost().resolveOnnxEditor(document, panel, token),
      },
      { webviewOptions: { retainContextWhenHidden: true }, supportsMultipleEditorsPerDocument: true },
    ),
  );

  const activateMs = performance.now() - t0;
  const moduleLoadMs = moduleLoaded - loadStart;
  lastActivation = {
    time: new Date().toISOString(),
    extensionVersion: String((context.extension.packageJSON as { version?: string }).version ?? ''),
    vscodeVersion: vscode.version,
    moduleLoadMs,
    activateMs,
    totalMs: moduleLoadMs + activateMs,
  };
  output.info(activationSummary(lastActivation));
  const files = [path.join(context.globalStorageUri.fsPath, ACTIVATION_FILE)];
  if (process.env.ARMML_ACTIVATION_FILE) files.push(process.env.ARMML_ACTIVATION_FILE);
  writeActivationRecord(files, lastActivation).catch((e: Error) => output.warn(`could not write activation timing: ${e.message}`));
}

export function deactivate(): void {
  host?.dispose();
  host = undefined;
}

const moduleLoaded = performance.now();
