// Shows where a profile's time goes in Python sources: CodeLens labels, hovers and gutter heat,
// computed by common/hotspots.ts from the newest profile and the workspace's .py files.
import * as vscode from 'vscode';
import type { ProfileDoc } from '../common/profile.js';
import { computeHotspots, type Hotspot, type HotspotReport } from '../common/hotspots.js';

const HEAT_LEVELS = 5;
const MAX_FILES = 500;

function gutterIcon(level: number): vscode.Uri {
  // Warmer and wider bars for hotter lines; an inline SVG so no icon files need shipping.
  const hue = Math.round(50 - (50 * level) / (HEAT_LEVELS - 1));
  const width = 3 + level;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect x="${12 - width}" y="0" width="${width}" height="16" fill="hsl(${hue},90%,50%)"/></svg>`;
  return vscode.Uri.parse(`data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`);
}

export class PythonHotspots implements vscode.Disposable, vscode.CodeLensProvider, vscode.HoverProvider {
  private report: HotspotReport | undefined;
  private byFile = new Map<string, Map<number, Hotspot>>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly decorations: vscode.TextEditorDecorationType[];
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly output: vscode.LogOutputChannel) {
    this.decorations = Array.from({ length: HEAT_LEVELS }, (_, level) =>
      vscode.window.createTextEditorDecorationType({
        gutterIconPath: gutterIcon(level),
        gutterIconSize: 'contain',
        overviewRulerColor: `hsla(${Math.round(50 - (50 * level) / (HEAT_LEVELS - 1))},90%,50%,0.8)`,
        overviewRulerLane: vscode.OverviewRulerLane.Right,
      }),
    );
    const selector: vscode.DocumentSelector = { language: 'python' };
    this.disposables.push(
      vscode.languages.registerCodeLensProvider(selector, this),
      vscode.languages.registerHoverProvider(selector, this),
      vscode.window.onDidChangeVisibleTextEditors(() => this.decorateVisible()),
      this.changed,
      ...this.decorations,
    );
  }

  /** Recomputes hotspots for a new profile from the workspace's Python files. */
  async update(profile: ProfileDoc): Promise<void> {
    const uris = await vscode.workspace.findFiles('**/*.py', '{**/node_modules/**,**/.venv/**,**/venv/**,**/site-packages/**}', MAX_FILES);
    if (uris.length === 0) return;
    const files = await Promise.all(
      uris.map(async (uri) => ({ path: uri.fsPath, text: new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)) })),
    );
    this.report = computeHotspots(profile, files);
    this.byFile = new Map(this.report.files.map((f) => [f.path, new Map(f.hotspots.map((h) => [h.line, h]))]));
    const lines = this.report.files.reduce((n, f) => n + f.hotspots.length, 0);
    this.output.info(`hotspots: ${lines} line(s) in ${this.report.files.length} Python file(s); ${this.report.unmatched.length} op(s) not placed`);
    this.changed.fire();
    this.decorateVisible();
  }

  private hotspotsOf(doc: vscode.TextDocument): Map<number, Hotspot> | undefined {
    return this.byFile.get(doc.uri.fsPath);
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const spots = this.hotspotsOf(doc);
    if (!spots) return [];
    return [...spots.values()]
      .filter((h) => h.line >= 1 && h.line <= doc.lineCount)
      .map((h) => new vscode.CodeLens(doc.lineAt(h.line - 1).range, { title: `$(flame) ${h.label}`, command: 'armml.showStack', tooltip: 'Show the profile' }));
  }

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const h = this.hotspotsOf(doc)?.get(position.line + 1);
    return h ? new vscode.Hover(new vscode.MarkdownString(h.hover)) : undefined;
  }

  private decorateVisible(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const spots = this.hotspotsOf(editor.document);
      const buckets: vscode.Range[][] = Array.from({ length: HEAT_LEVELS }, () => []);
      for (const h of spots?.values() ?? []) {
        if (h.line < 1 || h.line > editor.document.lineCount) continue;
        const level = Math.min(HEAT_LEVELS - 1, Math.floor(h.heat * HEAT_LEVELS));
        buckets[level].push(editor.document.lineAt(h.line - 1).range);
      }
      this.decorations.forEach((d, i) => editor.setDecorations(d, buckets[i]));
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
