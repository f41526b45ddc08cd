// The extension host's decisions, kept free of `vscode` so they are tested without an editor:
// status bar text, which models to offer, the in-memory profile history. Profile-file validation
// lives in common/profile-file.ts (the CLI reads the same files) and is re-exported here.
import path from 'node:path';
import type { CpuInfo, KernelVariantInfo } from '../common/profile.js';
import type { ModeRun, ProfileDoc } from '../common/profile.js';
import type { InfoResult, ProgressEvent } from '../common/protocol.js';

export { PROFILE_SCHEMA, ProfileFileError, parseProfileDoc } from '../common/profile-file.js';

export const EXAMPLE_MODEL = 'examples/shapes-mobilenetv2/model.onnx';

/** The features worth naming in a one-line summary, most telling first (a later tier implies the earlier ones). */
const HEADLINE_ISA = ['sme2', 'sme', 'sve2', 'sve', 'i8mm', 'bf16', 'dotprod', 'avx512_vnni', 'avx512f', 'avx512', 'avx2', 'fma', 'neon'];
const IMPLIED: Record<string, string[]> = { sve2: ['sve'], sme2: ['sme'], avx512f: ['avx2'], avx512: ['avx2'] };

/** "sve i8mm bf16", "avx2 fma": at most `max` features, skipping ones a listed tier implies. */
export function headlineIsa(isa: readonly string[], max = 3): string {
  const have = new Set(isa.map((s) => s.toLowerCase()));
  const picked: string[] = [];
  const skip = new Set<string>();
  for (const f of HEADLINE_ISA) {
    if (picked.length >= max) break;
    if (!have.has(f) || skip.has(f)) continue;
    picked.push(f);
    for (const i of IMPLIED[f] ?? []) skip.add(i);
  }
  return picked.join(' ');
}

/** "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz" -> "Intel Xeon Platinum 8375C". */
export function shortCpuName(name: string): string {
  return name
    .replace(/\((R|TM|C)\)/gi, '')
    .replace(/@.*$/, '')
    .replace(/\b(CPU|Processor|\d+-Core)\b/gi, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export type TargetId = 'local';

export function targetLabel(target: TargetId): string {
  return target === 'local' ? 'local' : target;
}

/** "local · AMD EPYC · avx2 fma"; before the agent has said which features exist, just the name. */
export function statusBarText(target: TargetId, cpu: Pick<CpuInfo, 'name' | 'isa'> | null, fallbackName?: string): string {
  const name = shortCpuName(cpu?.name ?? fallbackName ?? 'CPU');
  const isa = cpu ? headlineIsa(cpu.isa) : '';
  return [targetLabel(target), name, isa].filter(Boolean).join(' · ');
}

export function statusBarTooltip(target: TargetId, cpu: CpuInfo | null): string {
  if (!cpu) return `Arm ML Profiler: target ${targetLabel(target)} (agent not started yet). Click for CPU features.`;
  return `Arm ML Profiler: ${targetLabel(target)} · ${cpu.name} (${cpu.arch}, ${cpu.cores} cores)\nISA: ${cpu.isa.join(' ') || 'base'}\nClick for CPU features and kernel variants.`;
}

export type ModelChoiceKind = 'active' | 'workspace' | 'example' | 'browse';

export interface ModelChoice {
  kind: ModelChoiceKind;
  label: string;
  description?: string;
  /** Absolute path; absent for "Browse…". */
  file?: string;
}

/** The quick pick's entries: the active .onnx editor's file, the workspace's .onnx files, the example, Browse…. */
export function modelChoices(opts: { active?: string; workspace: string[]; workspaceRoots?: string[]; example?: string }): ModelChoice[] {
  const seen = new Set<string>();
  const out: ModelChoice[] = [];
  const relative = (file: string) => {
    for (const root of opts.workspaceRoots ?? []) {
      const rel = path.relative(root, file);
      if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel;
    }
    return file;
  };
  const add = (kind: ModelChoiceKind, file: string, description: string) => {
    const key = path.resolve(file);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ kind, label: displayModelName(file), description, file: key });
  };
  if (opts.active) add('active', opts.active, `active editor · ${relative(opts.active)}`);
  for (const f of [...opts.workspace].sort()) add('workspace', f, relative(f));
  if (opts.example) add('example', opts.example, 'bundled example (MobileNetV2-style CNN)');
  out.push({ kind: 'browse', label: 'Browse…', description: 'choose an .onnx file' });
  return out;
}

/** `resnet/model.onnx` -> `resnet`; `foo.onnx` -> `foo` (as the engine names models). */
export function displayModelName(file: string): string {
  const base = path.basename(file, '.onnx');
  return base === 'model' ? path.basename(path.dirname(file)) : base;
}

/** The last N profiles, newest last; what the results panel shows side by side. */
export class ProfileHistory {
  private readonly docs: ProfileDoc[] = [];
  constructor(readonly limit = 8) {}

  add(doc: ProfileDoc): ProfileDoc[] {
    this.docs.push(doc);
    while (this.docs.length > this.limit) this.docs.shift();
    return this.all();
  }

  all(): ProfileDoc[] {
    return [...this.docs];
  }

  get latest(): ProfileDoc | undefined {
    return this.docs[this.docs.length - 1];
  }

  /** The newest profile of this model file (by path), for the .onnx editor's heat colouring. */
  latestFor(file: string): ProfileDoc | undefined {
    const key = path.resolve(file);
    for (let i = this.docs.length - 1; i >= 0; i--) if (path.resolve(this.docs[i].model.path) === key) return this.docs[i];
    return undefined;
  }
}

/** The run whose time shares the graph view shows: the fastest mode with correct outputs. */
export function runForHeat(doc: ProfileDoc | undefined): ModeRun | undefined {
  if (!doc) return undefined;
  const ok = doc.runs.filter((r) => r.outputs_ok && r.ops.length > 0);
  const pool = ok.length ? ok : doc.runs;
  return pool.reduce<ModeRun | undefined>((best, r) => (!best || r.latency_ms.median < best.latency_ms.median ? r : best), undefined);
}

/** File name for a saved profile: sortable by time, named by model. */
export function profileFileName(doc: ProfileDoc, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const name = (doc.model.name || displayModelName(doc.model.path)).replace(/[^\w.-]+/g, '_').slice(0, 60);
  return `${stamp}-${name}.profile.json`;
}

/** Tracks overall progress across modes so the notification's bar only moves forward. */
export class ProgressTracker {
  private done = 0;
  private readonly total: number;
  constructor(modes: number, warmup: number, iters: number) {
    this.total = Math.max(1, modes * (warmup + iters));
  }

  /** Returns the message and the increment (percent) to report for this event. */
  update(p: Pick<ProgressEvent, 'mode' | 'phase' | 'iter' | 'of'>): { message: string; increment: number } {
    if (p.phase === 'load') return { message: 'loading the model…', increment: 0 };
    const before = this.done;
    this.done = Math.min(this.total, this.done + 1);
    return { message: `${p.mode}: ${p.phase === 'warmup' ? 'warm-up' : 'timed'} ${p.iter}/${p.of}`, increment: ((this.done - before) / this.total) * 100 };
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function variantRows(variants: KernelVariantInfo[]): string {
  return variants
    .map(
      (v) =>
        `<tr class="${v.selected ? 'selected' : v.supported ? '' : 'unsupported'}"><td>${escapeHtml(v.family)}</td><td><code>${escapeHtml(v.name)}</code></td>` +
        `<td>${escapeHtml(v.isa)}</td><td>${v.supported ? 'yes' : 'no'}</td><td>${v.selected ? '✔' : ''}</td></tr>`,
    )
    .join('\n');
}

/** The body of the CPU features view: CPU, ISA features and the kernel variants selected for it. */
export function cpuFeaturesHtml(info: InfoResult, target: TargetId): string {
  const cpu = info.cpu;
  const head = cpu
    ? `<h1>${escapeHtml(cpu.name)}</h1><p>${escapeHtml(targetLabel(target))} · ${escapeHtml(cpu.arch)} · ${cpu.cores} cores${cpu.midr ? ` · MIDR <code>${escapeHtml(cpu.midr)}</code>` : ''} · vendor ${escapeHtml(cpu.vendor)}</p>`
    : `<h1>CPU unknown</h1><p class="error">${escapeHtml(info.nativeError ?? 'the native addon is not available')}</p>`;
  const isa = cpu ? `<h2>ISA features</h2><p class="isa">${cpu.isa.map((f) => `<span>${escapeHtml(f)}</span>`).join(' ') || 'base instruction set only'}</p>` : '';
  const modes = `<h2>Execution modes</h2><p>available: ${info.modes.available.map(escapeHtml).join(', ')}; planned: ${info.modes.planned.map(escapeHtml).join(', ')}</p>`;
  const table = info.variants.length
    ? `<h2>Kernel variants</h2><table><thead><tr><th>family</th><th>variant</th><th>ISA</th><th>supported</th><th>selected</th></tr></thead><tbody>${variantRows(info.variants)}</tbody></table>`
    : '';
  return `${head}${isa}${modes}${table}<p class="meta">agent ${escapeHtml(info.version)} · pid ${info.pid} · Node ${escapeHtml(info.node)} · ${info.ops} ONNX ops supported</p>`;
}

export interface WebviewPageOptions {
  cspSource: string;
  nonce: string;
  title: string;
  body: string;
  scripts?: string[];
  styles?: string[];
  inlineStyle?: string;
}

/**
 * A webview page under a strict CSP: nothing loads except the extension's own files and scripts
 * carrying this page's nonce. style-src allows 'unsafe-inline' because the renderers position
 * chart elements with style attributes, which a nonce cannot cover.
 */
export function webviewPage(o: WebviewPageOptions): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${o.nonce}' ${o.cspSource}`,
    `style-src ${o.cspSource} 'unsafe-inline'`,
    `img-src ${o.cspSource} data:`,
    `font-src ${o.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(o.title)}</title>
${o.scripts?.length ? `<script nonce="${o.nonce}">performance.mark('armml:page')</script>` : ''}
${(o.styles ?? []).map((s) => `<link rel="stylesheet" href="${s}">`).join('\n')}
${o.inlineStyle ? `<style>${o.inlineStyle}</style>` : ''}
</head>
<body>
${o.body}
${(o.scripts ?? []).map((s) => `<script nonce="${o.nonce}" src="${s}"></script>`).join('\n')}
</body>
</html>`;
}

/** A plain summary of profiles, for when the webview bundle is not installed. */
export function profilesSummaryHtml(profiles: ProfileDoc[]): string {
  if (profiles.length === 0) return '<p>No profiles yet. Run <b>Arm ML: Profile Model…</b>.</p>';
  return profiles
    .slice()
    .reverse()
    .map((doc) => {
      const runs = doc.runs
        .map((r) => {
          const top = [...r.ops].sort((a, b) => b.ms - a.ms).slice(0, 10);
          const rows = top.map((o) => `<tr><td>${escapeHtml(o.node)}</td><td>${escapeHtml(o.op)}</td><td><code>${escapeHtml(o.kernel)}</code></td><td>${escapeHtml(o.isa)}</td><td>${o.ms.toFixed(3)}</td><td>${(o.share * 100).toFixed(1)}%</td></tr>`).join('');
          return `<h3>${escapeHtml(r.mode)} · ${r.threads} thread(s) · median ${r.latency_ms.median.toFixed(3)} ms${r.outputs_ok ? '' : ' · <span class="error">outputs wrong</span>'}</h3>
<table><thead><tr><th>node</th><th>op</th><th>kernel</th><th>ISA</th><th>ms</th><th>share</th></tr></thead><tbody>${rows}</tbody></table>`;
        })
        .join('\n');
      return `<section><h2>${escapeHtml(doc.model.name)} <small>${escapeHtml(doc.target.cpu.name)} · ${escapeHtml(doc.created)}</small></h2>${runs}</section>`;
    })
    .join('\n');
}
