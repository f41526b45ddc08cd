// Entry of the profile viewer bundle (dist/webview.js + dist/webview.css); see webview/README.md.
// Input: a <script type="application/json" id="armml-profiles"> block (the standalone report), or
// {type:'profiles'} messages (JSON bytes) from the VS Code host.
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import './profile.css';
import type { FromWebview, ToWebview, WebviewView } from '../../common/protocol.js';
import type { ProfileDoc } from '../../engine/profile.js';
import { ProfileApp, VIEWS } from './app.js';

// Modules are evaluated before this line: the bundle has loaded and is about to draw.
performance.mark('armml:script');

interface ViewerGlobals {
  armmlApp?: ProfileApp;
  acquireVsCodeApi?: () => { postMessage(message: FromWebview): void };
}
const g = window as unknown as ViewerGlobals;

function embeddedProfiles(): ProfileDoc[] | undefined {
  const block = document.getElementById('armml-profiles');
  if (!block?.textContent) return undefined;
  try {
    const docs = JSON.parse(block.textContent) as ProfileDoc[];
    performance.mark('armml:parsed');
    return docs;
  } catch {
    return undefined;
  }
}

/** The host's {type:'profiles'} payload: UTF-8 JSON bytes (a typed array or its ArrayBuffer). */
function decodeProfiles(json: Uint8Array | ArrayBuffer): ProfileDoc[] {
  try {
    const docs: unknown = JSON.parse(new TextDecoder().decode(json));
    performance.mark('armml:parsed');
    return Array.isArray(docs) ? (docs as ProfileDoc[]) : [];
  } catch {
    return [];
  }
}

const vscode = g.acquireVsCodeApi?.();
// Outside VS Code no theme variables are injected: profile.css supplies light, dark and
// high-contrast ones under this class.
if (!vscode) document.documentElement.classList.add('armml-standalone');

const root = document.getElementById('armml-root') ?? document.body.appendChild(document.createElement('div'));
root.id = 'armml-root';
const app = new ProfileApp(root);
g.armmlApp = app;

window.addEventListener('message', (event: MessageEvent) => {
  const msg = event.data as ToWebview | null;
  if (msg?.type === 'profiles') app.setProfiles(decodeProfiles(msg.json));
  else if (msg?.type === 'show') app.show(msg.view);
});

app.setProfiles(embeddedProfiles() ?? []);
// The report opens on a view named in its URL (report.html#ops), as links and bookmarks expect.
const viewFromHash = (): WebviewView | undefined => {
  const hash = location.hash.slice(1);
  return VIEWS.find((v) => v.id === hash)?.id;
};
const initial = viewFromHash();
if (initial) app.show(initial);
window.addEventListener('hashchange', () => {
  const view = viewFromHash();
  if (view) app.show(view);
});
vscode?.postMessage({ type: 'ready' });
