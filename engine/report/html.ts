// The standalone HTML report: one file with the profile viewer bundle (dist/webview.js and
// dist/webview.css) and the profiles inlined, viewable offline in any browser and safe to share
// (a strict CSP; only the inlined, nonce-tagged script and style run).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ProfileDoc } from '../profile.js';

export interface HtmlReportOptions {
  /** Folder holding webview.js and webview.css; found next to the running bundle by default. */
  assetsDir?: string;
  title?: string;
}

/**
 * Where the viewer bundle is: beside the code when this runs bundled (dist/cli.js), else the
 * package's dist/ when it runs from source (engine/report/html.ts under tsx or vitest).
 */
export function findReportAssets(): string | undefined {
  const candidates = [__dirname, path.resolve(__dirname, '../../dist'), path.resolve(__dirname, '../dist')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'webview.js')) && fs.existsSync(path.join(dir, 'webview.css')));
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that cannot end the <script> element it sits in, nor open a comment there. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
}

/** Code inlined into a <script> must not contain its end tag. */
function inlineScript(code: string): string {
  if (/<!--/.test(code)) throw new Error('webview.js contains "<!--" and cannot be inlined safely into a <script>');
  return code.replace(/<\/(script)/gi, '<\\/$1');
}

export function renderHtmlReport(profiles: ProfileDoc[], options: HtmlReportOptions = {}): string {
  const dir = options.assetsDir ?? findReportAssets();
  if (!dir) throw new Error('the report viewer is not built (dist/webview.js is missing): run `npm run build` first');
  const js = fs.readFileSync(path.join(dir, 'webview.js'), 'utf8');
  const css = fs.readFileSync(path.join(dir, 'webview.css'), 'utf8').replace(/<\/(style)/gi, '<\\/$1');
  const nonce = crypto.randomBytes(18).toString('base64');
  const names = [...new Set(profiles.map((p) => p.model?.name).filter(Boolean))];
  const title = options.title ?? `Arm ML Profile${names.length ? `: ${names.join(', ')}` : ''}`;
  // Lit (inside @vscode-elements) styles its components with constructable stylesheets, which the
  // nonce-only style-src allows, so no 'unsafe-inline' is needed anywhere.
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en" class="armml-standalone">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="armml ${escapeHtml(profiles[0]?.tool?.version ?? '')}">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${css}</style>
</head>
<body>
<div id="armml-root"><noscript>This report needs JavaScript to draw its views.</noscript></div>
<script type="application/json" id="armml-profiles">${jsonForScript(profiles)}</script>
<script nonce="${nonce}">${inlineScript(js)}</script>
</body>
</html>
`;
}
