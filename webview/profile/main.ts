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
import type { ProfileDoc } from '../../common/profile.js';
import { ProfileApp, VIEWS } from './app.js';

// Modules are evaluated before this line: the bundle has loaded and is about to draw.
performance.mark('armml:script');

interface ViewerGlobals {
  armmlApp?: ProfileApp;
  acquireVsCodeApi?: () => { postMessage(message: FromWebview): void };
}
const g = window as unknown as ViewerGlobals;

/** Profiles from JSON text, or why they cannot be read (`from` names where the text came from). */
function parseProfiles(text: string, from: string): ProfileDoc[] | string {
  try {
    const docs: unknown = JSON.parse(text);
    performance.mark('armml:parsed');
    return Array.isArray(docs) ? (docs as ProfileDoc[]) : `${from} is not a list of profiles.`;
  } catch (e) {
    return `${from} is not valid JSON: ${(e as Error).message}`;
  }
}

/** The standalone report's <script type="application/json" id="armml-profiles"> block, if any. */
function embeddedProfiles(): ProfileDoc[] | string {
  const block = document.getElementById('armml-profiles');
  return block?.textContent ? parseProfiles(block.textContent, "The report's embedded profile data") : [];
}

const vscode = g.acquireVsCodeApi?.();
// Outside VS Code no theme variables are injected: profile.css supplies light, dark and
// high-contrast ones under this class.
if (!vscode) document.documentElement.classList.add('armml-standalone');

const root = document.getElementById('armml-root') ?? document.body.appendChild(document.createElement('div'));
root.id = 'armml-root';
const app = new ProfileApp(root);
g.armmlApp = app;

function showProfiles(result: ProfileDoc[] | string): void {
  if (typeof result === 'string') app.setProfiles([], result);
  else app.setProfiles(result);
}

window.addEventListener('message', (event: MessageEvent) => {
  const msg = event.data as ToWebview | null;
  // The payload is UTF-8 JSON bytes (a typed array or its ArrayBuffer).
  if (msg?.type === 'profiles') showProfiles(parseProfiles(new TextDecoder().decode(msg.json), 'The profile data from the extension'));
  else if (msg?.type === 'show') app.show(msg.view);
});

showProfiles(embeddedProfiles());
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
