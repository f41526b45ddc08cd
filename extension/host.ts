// The lazily loaded part of the extension host (dist/host.js): runs the commands, supervises the
// agent, and owns the results panel, the .onnx editors and the Python hotspots. It never computes
// a profile itself; the agent does.
//
// Profiles are kept in memory (the last 8, shown side by side) and saved as JSON to
// <globalStorage>/profiles/<time>-<model>.profile.json (the newest 50 are kept), so a workspace
// is never written to; "Open Profile…" reads them back, or any other armml.profile/1 file.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { ProfileDoc } from '../common/profile.js';
import type { InfoResult } from '../common/protocol.js';
import { RequestError } from '../common/protocol.js';
import { AgentClient, forkAgent } from './agent-client.js';
import type { CommandId } from './commands.js';
import {
  cpuFeaturesHtml,
  displayModelName,
  EXAMPLE_MODEL,
  modelChoices,
  parseProfileDoc,
  profileFileName,
  ProfileHistory,
  ProgressTracker,
  runForHeat,
  statusBarText,
  statusBarTooltip,
  webviewPage,
  type ModelChoice,
  type TargetId,
} from './logic.js';
import { ProfilePanel, SUMMARY_STYLE } from './profile-panel.js';
import { OnnxEditors } from './onnx-editor.js';
import type { PythonHotspots } from './python-hotspots.js';

const SAVED_PROFILES_KEPT = 50;

export interface HostDeps {
  context: vscode.ExtensionContext;
  output: vscode.LogOutputChannel;
  status: vscode.StatusBarItem;
}

interface Settings {
  threads: number;
  iterations: number;
  warmup: number;
  modes: string[];
  disabledPasses: string[];
}

function settings(): Settings {
  const c = vscode.workspace.getConfiguration('armml');
  const int = (key: string, dflt: number, min: number) => {
    const v = c.get<number>(key, dflt);
    return Number.isInteger(v) && v >= min ? v : dflt;
  };
  const modes = c.get<string[]>('modes', ['baseline', 'eager', 'graph']);
  return {
    threads: int('threads', 0, 0),
    iterations: int('iterations', 10, 1),
    warmup: int('warmup', 2, 0),
    modes: Array.isArray(modes) && modes.length ? modes : ['baseline', 'eager', 'graph'],
    disabledPasses: (c.get<string[]>('disabledPasses', []) ?? []).filter((p) => typeof p === 'string'),
  };
}

export class Host implements vscode.Disposable {
  private readonly agent: AgentClient;
  private readonly history = new ProfileHistory(8);
  private readonly panel: ProfilePanel;
  private readonly editors: OnnxEditors;
  private hotspots: PythonHotspots | undefined;
  private info: InfoResult | undefined;
  private target: TargetId = 'local';
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: HostDeps) {
    const { context, output } = deps;
    const agentJs = vscode.Uri.joinPath(context.extensionUri, 'dist', 'agent.js').fsPath;
    this.agent = new AgentClient(() => forkAgent(agentJs), {
      log: (level, message) => output[level === 'debug' ? 'debug' : level === 'warn' ? 'warn' : level === 'error' ? 'error' : 'info'](message),
      hello: (h) => {
        output.info(`agent ready: pid ${h.pid}, ${h.cpu?.name ?? 'unknown CPU'} [${h.cpu?.isa.join(' ') ?? ''}]`);
        this.updateStatus();
      },
      exited: ({ code, signal, expected }) => {
        this.info = undefined;
        if (expected) return;
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        void vscode.window.showErrorMessage(`Arm ML Profiler: the profiling agent stopped unexpectedly (${how}). It restarts on next use.`, 'Restart Agent', 'Show Log').then((choice) => {
          if (choice === 'Restart Agent') void this.restartAgent();
          else if (choice === 'Show Log') output.show(true);
        });
      },
    });
    this.panel = new ProfilePanel(context.extensionUri, (msg) => {
      if (msg.type === 'openSource') void this.openSource(msg.file, msg.line);
    });
    this.editors = new OnnxEditors(context.extensionUri, this.agent, (file) => runForHeat(this.history.latestFor(file)), output);
    this.disposables.push(this.panel, this.editors);
    const target = vscode.workspace.getConfiguration('armml').get<string>('defaultTarget', 'local');
    if (target !== 'local') output.warn(`armml.defaultTarget "${target}": only the local machine is available in this release`);
    // Start the agent now so the status bar can name the CPU's features; commands wait for it anyway.
    this.agent.ensure().catch((e: Error) => output.error(`agent: ${e.message}`));
  }

  async run(id: CommandId, args: unknown[]): Promise<unknown> {
    switch (id) {
      case 'armml.profileModel':
        return this.profileCommand(args, false);
      case 'armml.compareModes':
        return this.profileCommand(args, true);
      case 'armml.showStack':
        return this.showView('stack');
      case 'armml.openProfile':
        return this.openProfile(args[0]);
      case 'armml.selectTarget':
        return this.selectTarget();
      case 'armml.showCpuFeatures':
        return this.showCpuFeatures();
      case 'armml.restartAgent':
        return this.restartAgent();
    }
  }

  resolveOnnxEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel, _token: vscode.CancellationToken): void {
    this.editors.resolve(document, panel);
  }

  private updateStatus(): void {
    const cpu = this.agent.hello?.cpu ?? null;
    this.deps.status.text = `$(chip) ${statusBarText(this.target, cpu)}`;
    this.deps.status.tooltip = statusBarTooltip(this.target, cpu);
  }

  private async agentInfo(): Promise<InfoResult> {
    if (!this.info) this.info = await this.agent.request({ type: 'info' });
    return this.info;
  }

  private async restartAgent(): Promise<void> {
    this.info = undefined;
    const h = await this.agent.restart();
    void vscode.window.showInformationMessage(`Arm ML Profiler: agent restarted (pid ${h.pid}).`);
  }

  // ------------------------------------------------------------ profiling

  /** args: optional model (Uri or path) and modes (string[]), which skip the quick picks. */
  private async profileCommand(args: unknown[], compare: boolean): Promise<ProfileDoc | undefined> {
    const file = await this.pickModel(args[0]);
    if (!file) return undefined;
    const info = await this.agentInfo();
    const cfg = settings();
    let modes: string[] | undefined;
    if (Array.isArray(args[1]) && args[1].every((m) => typeof m === 'string')) modes = args[1] as string[];
    else if (compare) modes = info.modes.available;
    else modes = await this.pickModes(info, cfg.modes);
    if (!modes?.length) return undefined;
    const doc = await this.profile(file, modes, cfg);
    if (doc) await this.accept(doc, compare ? 'speedups' : undefined, true);
    return doc;
  }

  private async pickModel(arg: unknown): Promise<string | undefined> {
    if (arg instanceof vscode.Uri) return arg.fsPath;
    if (typeof arg === 'string' && arg) return path.resolve(arg);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    const active =
      tab instanceof vscode.TabInputCustom && tab.uri.fsPath.endsWith('.onnx')
        ? tab.uri.fsPath
        : vscode.window.activeTextEditor?.document.uri.fsPath.endsWith('.onnx')
          ? vscode.window.activeTextEditor.document.uri.fsPath
          : undefined;
    const found = await vscode.workspace.findFiles('**/*.onnx', '**/node_modules/**', 200);
    const example = vscode.Uri.joinPath(this.deps.context.extensionUri, EXAMPLE_MODEL).fsPath;
    const exampleExists = await fs.stat(example).then(
      () => true,
      () => false,
    );
    const choices = modelChoices({
      active,
      workspace: found.map((u) => u.fsPath),
      workspaceRoots: vscode.workspace.workspaceFolders?.map((f) => f.uri.fsPath),
      example: exampleExists ? example : undefined,
    });
    const picked = await vscode.window.showQuickPick(
      choices.map((c) => ({ label: c.kind === 'browse' ? `$(folder-opened) ${c.label}` : `$(symbol-class) ${c.label}`, description: c.description, choice: c })),
      { title: 'Arm ML: Profile Model', placeHolder: 'Which model?', matchOnDescription: true },
    );
    if (!picked) return undefined;
    return this.resolveChoice(picked.choice);
  }

  private async resolveChoice(choice: ModelChoice): Promise<string | undefined> {
    if (choice.file) return choice.file;
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'ONNX models': ['onnx'] }, title: 'Choose an ONNX model to profile' });
    return uris?.[0]?.fsPath;
  }

  private async pickModes(info: InfoResult, defaults: string[]): Promise<string[] | undefined> {
    type Item = vscode.QuickPickItem & { mode?: string };
    const items: Item[] = info.modes.available.map((m) => ({ label: m, picked: defaults.includes(m), mode: m, description: MODE_NOTES[m] }));
    if (info.modes.planned.length) items.push({ label: `planned: ${info.modes.planned.join(', ')}`, kind: vscode.QuickPickItemKind.Separator });
    const picked = await vscode.window.showQuickPick(items, { canPickMany: true, title: 'Arm ML: execution modes', placeHolder: 'Modes to profile (defaults from the armml.modes setting)' });
    return picked?.flatMap((p) => (p.mode ? [p.mode] : []));
  }

  private profile(file: string, modes: string[], cfg: Settings): Thenable<ProfileDoc | undefined> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Arm ML: profiling ${displayModelName(file)}`, cancellable: true },
      async (progress, token) => {
        const tracker = new ProgressTracker(modes.length, cfg.warmup, cfg.iterations);
        let requestId: number | undefined;
        const cancel = (id: number) =>
          void this.agent.cancel(id).then((how) => this.deps.output.info(`profile request ${id} cancelled: ${how === 'killed' ? 'the agent did not stop within 1 s and was killed' : how}`));
        const sub = token.onCancellationRequested(() => requestId !== undefined && cancel(requestId));
        try {
          this.deps.output.info(`profiling ${file}: modes ${modes.join(', ')}, threads ${cfg.threads || 'all'}, warm-up ${cfg.warmup}, iterations ${cfg.iterations}`);
          const { profile } = await this.agent.request(
            { type: 'profile', model: file, modes, threads: cfg.threads, warmup: cfg.warmup, iters: cfg.iterations, ...(cfg.disabledPasses.length ? { disabledPasses: cfg.disabledPasses } : {}) },
            (p) => progress.report(tracker.update(p)),
            (id) => {
              requestId = id;
              if (token.isCancellationRequested) cancel(id);
            },
          );
          const summary = profile.runs.map((r) => `${r.mode} ${r.latency_ms.median.toFixed(2)} ms${r.outputs_ok ? '' : ' (WRONG OUTPUTS)'}`).join(', ');
          this.deps.output.info(`profiled ${profile.model.name}: ${summary}`);
          return profile;
        } catch (e) {
          if (token.isCancellationRequested || (e instanceof RequestError && e.code === 'cancelled')) {
            void vscode.window.showInformationMessage('Arm ML Profiler: profiling cancelled.');
            return undefined;
          }
          // The exit handler already told the user, with a Restart action.
          if (e instanceof RequestError && e.code === 'agent-exited') return undefined;
          throw e;
        } finally {
          sub.dispose();
        }
      },
    );
  }

  /** A new profile: remember it, save it, show it, and colour editors with it. */
  private async accept(doc: ProfileDoc, view: 'speedups' | 'stack' | undefined, save: boolean): Promise<void> {
    const all = this.history.add(doc);
    this.panel.show(all, view);
    this.editors.refresh(doc.model.path);
    if (save) await this.save(doc).catch((e: Error) => this.deps.output.warn(`could not save the profile: ${e.message}`));
    void this.updateHotspots(doc);
  }

  private async save(doc: ProfileDoc): Promise<void> {
    const dir = vscode.Uri.joinPath(this.deps.context.globalStorageUri, 'profiles').fsPath;
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, profileFileName(doc));
    await fs.writeFile(file, JSON.stringify(doc));
    this.deps.output.info(`profile saved to ${file}`);
    const saved = (await fs.readdir(dir)).filter((f) => f.endsWith('.profile.json')).sort();
    for (const old of saved.slice(0, Math.max(0, saved.length - SAVED_PROFILES_KEPT))) await fs.rm(path.join(dir, old), { force: true });
  }

  private async updateHotspots(doc: ProfileDoc): Promise<void> {
    try {
      if (!this.hotspots) {
        const { PythonHotspots } = await import('./python-hotspots.js');
        this.hotspots = new PythonHotspots(this.deps.output);
        this.disposables.push(this.hotspots);
      }
      await this.hotspots.update(doc);
    } catch (e) {
      this.deps.output.warn(`hotspots: ${(e as Error).message}`);
    }
  }

  private async openSource(file: string, line?: number): Promise<void> {
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
    if (line && line > 0) {
      const pos = new vscode.Position(line - 1, 0);
      editor.selection = new vscode.Selection(pos, pos);
      editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
    }
  }

  // ------------------------------------------------------------ other commands

  private async showView(view: 'stack'): Promise<void> {
    if (!this.history.latest) {
      const choice = await vscode.window.showInformationMessage('Arm ML Profiler: no profile yet. Profile a model first.', 'Profile Model…', 'Open Profile…');
      if (choice === 'Profile Model…') await this.profileCommand([], false);
      else if (choice === 'Open Profile…') await this.openProfile(undefined);
      return;
    }
    this.panel.show(this.history.all(), view);
  }

  private async openProfile(arg: unknown): Promise<ProfileDoc | undefined> {
    let uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.file(path.resolve(arg)) : undefined;
    if (!uri) {
      const picked = await vscode.window.showOpenDialog({
        canSelectMany: false,
        filters: { 'Arm ML profiles': ['json'] },
        title: 'Open an armml.profile/1 file',
        defaultUri: vscode.Uri.joinPath(this.deps.context.globalStorageUri, 'profiles'),
      });
      uri = picked?.[0];
    }
    if (!uri) return undefined;
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    const doc = parseProfileDoc(text, path.basename(uri.fsPath));
    await this.accept(doc, undefined, false);
    return doc;
  }

  private async selectTarget(): Promise<TargetId | undefined> {
    const cpu = this.agent.hello?.cpu;
    type Item = vscode.QuickPickItem & { id: 'local' | 'ssh' };
    const items: Item[] = [
      { id: 'local', label: '$(vm) This machine (local)', description: this.target === 'local' ? 'current' : undefined, detail: cpu ? `${cpu.name} · ${cpu.isa.join(' ')}` : undefined },
      { id: 'ssh', label: '$(remote) SSH target… (planned)', description: 'not available yet', detail: 'Profiling a remote arm64 machine over SSH comes in a later release.' },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: 'Arm ML: Select Target' });
    if (!picked) return undefined;
    if (picked.id === 'ssh') {
      void vscode.window.showInformationMessage('Arm ML Profiler: SSH targets come in a later release. Profiling runs on this machine for now.');
      return undefined;
    }
    this.target = 'local';
    this.updateStatus();
    return this.target;
  }

  private async showCpuFeatures(): Promise<InfoResult> {
    const info = await this.agentInfo();
    const panel = vscode.window.createWebviewPanel('armml.cpu', 'Arm ML: CPU Features', vscode.ViewColumn.Active, { enableScripts: false, localResourceRoots: [] });
    panel.webview.html = webviewPage({ cspSource: panel.webview.cspSource, nonce: 'none', title: 'CPU features', body: cpuFeaturesHtml(info, this.target), inlineStyle: SUMMARY_STYLE });
    return info;
  }

  dispose(): void {
    this.agent.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

const MODE_NOTES: Record<string, string> = {
  baseline: 'reference kernels, one thread: the default path speedups are measured from',
  eager: 'optimized kernels, one node at a time',
  graph: 'compiled ahead of time: constants folded, BatchNorm folded, epilogues and norms fused',
  int8: 'dynamic int8 activations, int8 weights',
  int4: '4-bit weights, int8 activations',
  bf16: 'bf16 fast math',
};

export function createHost(deps: HostDeps): Host {
  return new Host(deps);
}
