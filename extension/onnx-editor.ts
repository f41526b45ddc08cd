// The read-only `.onnx` editor: the graph laid out by the agent (common/graphview.ts) and drawn by
// dist/graph.js, heat-coloured with the newest profile of the same file.
import fs from 'node:fs';
import crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { ModeRun } from '../common/profile.js';
import type { FromWebview, ToWebview } from '../common/protocol.js';
import type { AgentClient } from './agent-client.js';
import { webviewPage } from './logic.js';
import { SUMMARY_STYLE } from './profile-panel.js';

export class OnnxEditors implements vscode.Disposable {
  private readonly open = new Map<string, Set<vscode.WebviewPanel>>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly agent: AgentClient,
    private readonly runFor: (file: string) => ModeRun | undefined,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  resolve(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const file = document.uri.fsPath;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    const nonce = crypto.randomBytes(16).toString('base64');
    const script = vscode.Uri.joinPath(dist, 'graph.js');
    const style = vscode.Uri.joinPath(dist, 'graph.css');
    if (document.uri.scheme !== 'file' || !fs.existsSync(script.fsPath)) {
      const why = document.uri.scheme !== 'file' ? 'only files on this machine can be opened for now' : 'the graph view bundle (dist/graph.js) is not installed';
      panel.webview.html = webviewPage({ cspSource: panel.webview.cspSource, nonce, title: 'ONNX graph', body: `<p class="error">Cannot show ${escape(file)}: ${why}.</p>`, inlineStyle: SUMMARY_STYLE });
      return;
    }
    panel.webview.html = webviewPage({
      cspSource: panel.webview.cspSource,
      nonce,
      title: 'ONNX graph',
      body: '<div id="armml-graph"></div>',
      scripts: [panel.webview.asWebviewUri(script).toString()],
      styles: fs.existsSync(style.fsPath) ? [panel.webview.asWebviewUri(style).toString()] : [],
    });
    let panels = this.open.get(file);
    if (!panels) this.open.set(file, (panels = new Set()));
    panels.add(panel);
    panel.onDidDispose(() => {
      panels.delete(panel);
      if (panels.size === 0) this.open.delete(file);
    });
    panel.webview.onDidReceiveMessage((msg: FromWebview) => {
      if (msg?.type === 'graphReady') void this.render(file, [panel]);
      else if (msg?.type === 'graphNodeSelected') this.output.debug(`graph node selected: ${msg.node}`);
    });
  }

  /** Redraws the open editors of this model (after a new profile of it). */
  refresh(file: string): void {
    const panels = this.open.get(file);
    if (panels?.size) void this.render(file, [...panels]);
  }

  private async render(file: string, panels: vscode.WebviewPanel[]): Promise<void> {
    try {
      const { graph } = await this.agent.request({ type: 'graph', model: file, run: this.runFor(file) });
      const msg: ToWebview = { type: 'graph', graph };
      for (const p of panels) void p.webview.postMessage(msg);
    } catch (e) {
      const message = (e as Error).message;
      this.output.error(`graph view of ${file}: ${message}`);
      for (const p of panels) {
        p.webview.html = webviewPage({ cspSource: p.webview.cspSource, nonce: 'none', title: 'ONNX graph', body: `<p class="error">Cannot show ${escape(file)}: ${escape(message)}</p>`, inlineStyle: SUMMARY_STYLE });
      }
    }
  }

  dispose(): void {
    this.open.clear();
  }
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
