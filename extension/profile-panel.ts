// The results panel: one webview that accumulates profiles so they can be compared side by side.
// It renders with dist/webview.js + dist/webview.css when installed, else with a plain summary
// table. The page itself is small; the profiles follow as one {type:'profiles'} message of JSON
// bytes, posted as soon as the HTML is set: VS Code holds messages until the page has loaded, so
// the bytes travel while it sets the webview frame up (a 10k-op profile embedded in the HTML, or
// sent only when the page asks, reached the table later).
import fs from 'node:fs';
import crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { ProfileDoc } from '../common/profile.js';
import type { FromWebview, ToWebview, WebviewView } from '../common/protocol.js';
import { profilesSummaryHtml, webviewPage } from './logic.js';

export class ProfilePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private profiles: ProfileDoc[] = [];
  private pendingView: WebviewView | undefined;
  /** The state went out with the page's HTML; the page's first 'ready' needs no second copy. */
  private sentWithHtml = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly onMessage: (msg: FromWebview) => void = () => {},
  ) {}

  private bundle(name: string): vscode.Uri | undefined {
    const uri = vscode.Uri.joinPath(this.extensionUri, 'dist', name);
    return fs.existsSync(uri.fsPath) ? uri : undefined;
  }

  /** Shows the panel with these profiles (oldest first), optionally on one view. */
  show(profiles: ProfileDoc[], view?: WebviewView): void {
    this.profiles = profiles;
    const script = this.bundle('webview.js');
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('armml.profile', 'Arm ML Profile', vscode.ViewColumn.Active, {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
      });
      this.panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.png');
      this.panel.onDidDispose(() => (this.panel = undefined));
      this.panel.webview.onDidReceiveMessage((msg: FromWebview) => {
        // A reloaded page starts empty and says 'ready' again: that one gets the state.
        if (msg?.type === 'ready') {
          if (this.sentWithHtml) this.sentWithHtml = false;
          else this.postState();
        }
        this.onMessage(msg);
      });
      this.pendingView = view;
      this.setHtml(script);
    } else if (script) {
      this.pendingView = view;
      this.postState();
      this.panel.reveal(undefined, false);
    } else {
      this.setHtml(undefined);
      this.panel.reveal(undefined, false);
    }
    const latest = profiles[profiles.length - 1];
    if (latest) this.panel.title = `Arm ML Profile: ${latest.model.name}`;
  }

  get visible(): boolean {
    return this.panel !== undefined;
  }

  private post(msg: ToWebview): void {
    void this.panel?.webview.postMessage(msg);
  }

  private postState(): void {
    this.post({ type: 'profiles', json: new TextEncoder().encode(JSON.stringify(this.profiles)) });
    if (this.pendingView) this.post({ type: 'show', view: this.pendingView });
    this.pendingView = undefined;
  }

  private setHtml(script: vscode.Uri | undefined): void {
    this.panel!.webview.html = this.html(script);
    this.sentWithHtml = script !== undefined;
    if (script) this.postState();
  }

  private html(script: vscode.Uri | undefined): string {
    const webview = this.panel!.webview;
    const nonce = crypto.randomBytes(16).toString('base64');
    const style = this.bundle('webview.css');
    if (script) {
      return webviewPage({
        cspSource: webview.cspSource,
        nonce,
        title: 'Arm ML Profile',
        body: '<div id="armml-root"></div>',
        scripts: [webview.asWebviewUri(script).toString()],
        styles: style ? [webview.asWebviewUri(style).toString()] : [],
      });
    }
    return webviewPage({
      cspSource: webview.cspSource,
      nonce,
      title: 'Arm ML Profile',
      body: profilesSummaryHtml(this.profiles),
      inlineStyle: SUMMARY_STYLE,
    });
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

export const SUMMARY_STYLE = `
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em; }
table { border-collapse: collapse; margin-bottom: 1em; }
th, td { text-align: left; padding: 2px 8px; border-bottom: 1px solid var(--vscode-panel-border); }
td:nth-child(5), td:nth-child(6) { text-align: right; font-variant-numeric: tabular-nums; }
small { color: var(--vscode-descriptionForeground); font-weight: normal; }
.error { color: var(--vscode-errorForeground); }
tr.selected td { font-weight: bold; }
tr.unsupported td { color: var(--vscode-disabledForeground); }
.isa span { display: inline-block; padding: 1px 6px; margin: 2px; border-radius: 3px; background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); }
.meta { color: var(--vscode-descriptionForeground); }
`;
