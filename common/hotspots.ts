// Maps a profile's ops to the Python source lines that created them, for gutter heat, inline
// labels and hovers in the editor.
//
// API (no vscode import):
//   computeHotspots(profile: ProfileDoc, files: {path, text}[], options?: {mode?}): HotspotReport
//     Uses the run of options.mode, else 'eager', else the first run with ops. Each op is placed by
//     its `source` field when it has one ("model.py:42" or torch's `File "model.py", line 42, in
//     forward`), else by its PyTorch exporter node name (`/layer1/layer1.0/conv1/Conv` ->
//     module `layer1.0.conv1` -> the `self.conv1 = ...` line of the class that owns it and the
//     `self.conv1(...)` call sites in that class).
//   HotspotReport = { mode, files: [{path, hotspots: Hotspot[] (by line)}], unmatched: HotspotOp[] }
//   Hotspot = { line (1-based), label, ms, share, heat (0..1, hottest line = 1), hover (markdown), ops }
//   modulePathOf(nodeName) -> 'layer1.0.conv1' | undefined, exported for reuse and tests.
import type { OpRow, ProfileDoc } from './profile.js';

export interface SourceFile {
  path: string;
  text: string;
}

export interface HotspotOp {
  node: string;
  op: string;
  kernel: string;
  isa: string;
  ms: number;
  share: number;
  /** Module path from the node name ('layer1.0.conv1'), when it has one. */
  module?: string;
}

export interface Hotspot {
  /** 1-based line number. */
  line: number;
  /** "conv1 · 3.2 ms · 14% · matmul_f32_6x16_avx2_fma" */
  label: string;
  ms: number;
  share: number;
  /** This line's time relative to the hottest line of the report, for gutter colour. */
  heat: number;
  hover: string;
  ops: HotspotOp[];
}

export interface FileHotspots {
  path: string;
  hotspots: Hotspot[];
}

export interface HotspotReport {
  mode: string | undefined;
  files: FileHotspots[];
  /** Ops no source line was found for (names from other exporters, files not in the workspace). */
  unmatched: HotspotOp[];
}

export function computeHotspots(profile: ProfileDoc, files: SourceFile[], options: { mode?: string } = {}): HotspotReport {
  const run =
    profile.runs.find((r) => r.mode === options.mode) ??
    (options.mode ? undefined : (profile.runs.find((r) => r.mode === 'eager' && r.ops.length) ?? profile.runs.find((r) => r.ops.length)));
  if (!run) return { mode: options.mode, files: [], unmatched: [] };
  const index = indexSources(files);
  index.root = rootClass(run.ops.map((r) => modulePathOf(r.node)), index);
  const perLine = new Map<string, { file: string; line: number; name: string; ops: HotspotOp[] }>();
  const unmatched: HotspotOp[] = [];
  for (const row of run.ops) {
    const op = toHotspotOp(row);
    const places = (row.source ? placeBySource(row.source, files) : []) ?? [];
    const located = places.length ? places : placeByModule(op.module, row.op, index);
    if (!located.length) {
      unmatched.push(op);
      continue;
    }
    // A line can be both a definition and a call site of the same module: count the op once there.
    const seen = new Set<string>();
    for (const place of located) {
      const key = `${place.file}\u0000${place.line}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let entry = perLine.get(key);
      if (!entry) perLine.set(key, (entry = { file: place.file, line: place.line, name: place.name, ops: [] }));
      entry.ops.push(op);
    }
  }
  const lines = [...perLine.values()].map((e) => ({ ...e, ms: sum(e.ops, 'ms'), share: sum(e.ops, 'share') }));
  const hottest = Math.max(0, ...lines.map((l) => l.ms));
  const byFile = new Map<string, Hotspot[]>();
  for (const l of lines) {
    l.ops.sort((a, b) => b.ms - a.ms);
    const hotspot: Hotspot = {
      line: l.line,
      label: lineLabel(l.name, l.ms, l.share, l.ops),
      ms: l.ms,
      share: l.share,
      heat: hottest > 0 ? l.ms / hottest : 0,
      hover: hoverMarkdown(l.name, l.ms, l.share, l.ops, run.mode),
      ops: l.ops,
    };
    if (!byFile.has(l.file)) byFile.set(l.file, []);
    byFile.get(l.file)!.push(hotspot);
  }
  const out: FileHotspots[] = files
    .filter((f) => byFile.has(f.path))
    .map((f) => ({ path: f.path, hotspots: byFile.get(f.path)!.sort((a, b) => a.line - b.line) }));
  return { mode: run.mode, files: out, unmatched };
}

function toHotspotOp(row: OpRow): HotspotOp {
  const module = modulePathOf(row.node);
  return { node: row.node, op: row.op, kernel: row.kernel, isa: row.isa, ms: row.ms, share: row.share, ...(module ? { module } : {}) };
}

const sum = (ops: HotspotOp[], key: 'ms' | 'share') => ops.reduce((a, o) => a + o[key], 0);

/**
 * `/features/features.3/conv/conv.0/conv.0.0/Conv` -> `features.3.conv.0.0`: the exporter writes one
 * scope per module, numbered children as their container's name plus the index.
 */
export function modulePathOf(nodeName: string): string | undefined {
  if (!nodeName.startsWith('/')) return undefined;
  const segments = nodeName.split('/').filter(Boolean);
  // The last segment is the op itself (`Conv`, `MatMul_1`) unless the name ends in a module.
  if (segments.length && /^[A-Z][A-Za-z0-9]*(_\d+)?$/.test(segments[segments.length - 1])) segments.pop();
  const path: string[] = [];
  for (const seg of segments) {
    const prev = path[path.length - 1];
    if (prev !== undefined && seg.startsWith(`${prev}.`)) path[path.length - 1] = seg;
    else path.push(seg);
  }
  return path.length ? path.join('.') : undefined;
}

interface Place {
  file: string;
  line: number;
  name: string;
}

function placeBySource(source: string, files: SourceFile[]): Place[] {
  const m = /File "([^"]+)", line (\d+)(?:, in (\S+))?/.exec(source) ?? /([^\s:"']+\.py):(\d+)/.exec(source);
  if (!m) return [];
  const file = findFile(m[1], files);
  if (!file) return [];
  const line = Number(m[2]);
  return [{ file: file.path, line, name: m[3] ?? `line ${line}` }];
}

function findFile(wanted: string, files: SourceFile[]): SourceFile | undefined {
  const norm = (p: string) => p.replace(/\\/g, '/');
  const w = norm(wanted);
  const exact = files.find((f) => norm(f.path) === w);
  if (exact) return exact;
  // Traces carry the path on the machine that ran the model; match on the longest common tail.
  let best: SourceFile | undefined;
  let bestLen = 0;
  for (const f of files) {
    const a = norm(f.path).split('/');
    const b = w.split('/');
    let n = 0;
    while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
    if (n > bestLen) [best, bestLen] = [f, n];
  }
  return best;
}

// ---- Python source index ----

interface Assignment {
  attr: string;
  line: number;
  /** Right-hand side, continuation lines joined. */
  expr: string;
  /** The positional children when the right-hand side is `nn.Sequential(a, b, …)` written out. */
  children?: Child[];
}

/** One positional child of a Sequential: where its constructor is and what it builds. */
interface Child {
  line: number;
  /** The constructor called: `Conv2d` for `nn.Conv2d(...)`, `ConvBNReLU` for a workspace class. */
  callee: string;
}

interface PyClass {
  name: string;
  file: string;
  line: number;
  assignments: Map<string, Assignment>;
  /** attr -> lines of `self.attr(` calls and `in self.attr` loops. */
  uses: Map<string, number[]>;
  /** For `class X(nn.Sequential)`: the children its `super().__init__(a, b, …)` passes, in order. */
  children?: Child[];
}

interface SourceIndex {
  classes: PyClass[];
  byName: Map<string, PyClass[]>;
  /** How often each class name is mentioned outside its own definition line, for tie-breaks. */
  mentions: Map<string, number>;
  /** The class the model was exported from: the one owning most top-level module names. */
  root?: PyClass;
}

function indexSources(files: SourceFile[]): SourceIndex {
  const classes: PyClass[] = [];
  for (const f of files) classes.push(...parseClasses(f));
  const byName = new Map<string, PyClass[]>();
  for (const c of classes) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  const mentions = new Map<string, number>();
  const allText = files.map((f) => f.text).join('\n');
  for (const name of byName.keys()) {
    const count = allText.match(new RegExp(`\\b${name}\\b`, 'g'))?.length ?? 0;
    mentions.set(name, count - byName.get(name)!.length);
  }
  return { classes, byName, mentions };
}

function rootClass(modules: (string | undefined)[], index: SourceIndex): PyClass | undefined {
  const top = new Set(modules.filter((m) => m !== undefined).map((m) => m.split('.')[0]));
  let best: PyClass | undefined;
  let bestScore = 0;
  for (const c of index.classes) {
    let score = 0;
    for (const attr of top) if (c.assignments.has(attr)) score++;
    if (score > bestScore || (score === bestScore && best && (index.mentions.get(c.name) ?? 0) > (index.mentions.get(best.name) ?? 0))) {
      [best, bestScore] = [c, score];
    }
  }
  return best;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function parseClasses(file: SourceFile): PyClass[] {
  const lines = file.text.split(/\r?\n/);
  const found: PyClass[] = [];
  const stack: { cls: PyClass; indent: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    const trimmed = text.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const indent = indentOf(text);
    while (stack.length && indent <= stack[stack.length - 1].indent) stack.pop();
    const classMatch = /^class\s+([A-Za-z_]\w*)\s*(?:\(([^)]*)\))?/.exec(trimmed);
    if (classMatch) {
      const cls: PyClass = { name: classMatch[1], file: file.path, line: i + 1, assignments: new Map(), uses: new Map() };
      if (/\bSequential\b/.test(classMatch[2] ?? '')) cls.children = [];
      found.push(cls);
      stack.push({ cls, indent });
      continue;
    }
    const owner = stack[stack.length - 1]?.cls;
    if (!owner) continue;
    const superInit = /\bsuper\([^)]*\)\.__init__\(/.exec(text);
    if (superInit && owner.children && !owner.children.length) {
      owner.children = callArgs(lines, i, superInit.index + superInit[0].length);
      continue;
    }
    const assign = /^self\.([A-Za-z_]\w*)\s*(?::[^=]+)?=(?!=)\s*(.*)$/.exec(trimmed);
    if (assign) {
      let expr = assign[2];
      // Constructors span lines (`nn.Sequential(\n ...\n)`): join until the brackets balance.
      for (let j = i + 1; depth(expr) > 0 && j < lines.length && j < i + 200; j++) expr += ` ${lines[j].trim()}`;
      // The first assignment is the definition; later ones (`self.x = None` resets) are not.
      if (!owner.assignments.has(assign[1])) {
        const seq = /^(?:nn\.)?Sequential\(/.exec(assign[2]);
        const children = seq ? callArgs(lines, i, text.indexOf(assign[2]) + seq[0].length) : undefined;
        owner.assignments.set(assign[1], { attr: assign[1], line: i + 1, expr, ...(children ? { children } : {}) });
      }
      continue;
    }
    for (const m of trimmed.matchAll(/self\.([A-Za-z_]\w*)\s*\(|\bin\s+self\.([A-Za-z_]\w*)/g)) {
      const attr = m[1] ?? m[2];
      const uses = owner.uses.get(attr) ?? [];
      if (uses[uses.length - 1] !== i + 1) uses.push(i + 1);
      owner.uses.set(attr, uses);
    }
  }
  return found;
}

function depth(expr: string): number {
  let d = 0;
  for (const ch of expr) {
    if (ch === '(' || ch === '[' || ch === '{') d++;
    else if (ch === ')' || ch === ']' || ch === '}') d--;
  }
  return d;
}

/**
 * The positional arguments of the call whose `(` ends just before lines[row][col], as children.
 * Undefined when one cannot be known statically (`*layers`, keyword or OrderedDict arguments).
 */
function callArgs(lines: string[], row: number, col: number): Child[] | undefined {
  const children: Child[] = [];
  let d = 0;
  let start = true;
  for (let r = row; r < lines.length && r < row + 200; r++) {
    const text = lines[r];
    for (let c = r === row ? col : 0; c < text.length; c++) {
      const ch = text[c];
      if (ch === '#') break;
      if (start && ch.trim()) {
        if (ch === ')') return children;
        const m = /^(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)\s*\(/.exec(text.slice(c));
        if (!m || d > 0) return undefined;
        children.push({ line: r + 1, callee: m[1] });
        start = false;
      }
      if (ch === '(' || ch === '[' || ch === '{') d++;
      else if (ch === ')' || ch === ']' || ch === '}') {
        if (d === 0) return children;
        d--;
      } else if (ch === ',' && d === 0) start = true;
    }
  }
  return undefined;
}

interface Resolution {
  owner: PyClass;
  assignment: Assignment;
  /** Attributes of the module path resolved to an assignment; more is a better match. */
  resolved: number;
  /** The module path's parts after that attribute (`['1', '0']` for `conv.1.0`). */
  rest: string[];
}

/**
 * Places for a module path: the deepest attribute assignment found and its call sites, then the
 * Sequential children the path's trailing indices lead to (`conv.1.0` -> the second constructor in
 * `self.conv = nn.Sequential(...)`, then the first in that class's `super().__init__(...)`).
 */
function placeByModule(module: string | undefined, opType: string, index: SourceIndex): Place[] {
  if (!module || !index.classes.length) return [];
  const parts = module.split('.');
  let best: Resolution | undefined;
  // The exported root may be any class (or a wrapper not in the workspace): try each start.
  for (let start = 0; start < parts.length; start++) {
    const r = resolvePath(parts.slice(start), index, start === 0 ? index.root : undefined);
    if (r && (!best || r.resolved > best.resolved)) best = r;
  }
  if (!best) return [];
  const { owner, assignment } = best;
  const places: Place[] = [{ file: owner.file, line: assignment.line, name: assignment.attr }];
  for (const line of owner.uses.get(assignment.attr) ?? []) places.push({ file: owner.file, line, name: assignment.attr });
  if (best.rest.length && best.rest.every((p) => /^\d+$/.test(p))) places.push(...placeInChildren(best, opType, index));
  return places;
}

function placeInChildren({ owner, assignment, rest }: Resolution, opType: string, index: SourceIndex): Place[] {
  const places: Place[] = [];
  const built = assignment.children ? undefined : classesIn(assignment.expr, index)?.find((c) => c.children);
  let children = assignment.children ?? built?.children;
  let file = built?.file ?? owner.file;
  let name = built?.name ?? assignment.attr;
  for (let k = 0; k < rest.length; k++) {
    const i = Number(rest[k]);
    if (!children) {
      // A container built from a list (`nn.Sequential(*layers)`): which class sits at an index is
      // only known at run time. A deeper index is then a child of some Sequential class: the one
      // whose child at that index builds this op type, if the workspace has one.
      if (k < rest.length - 1) {
        const guess = guessSequentialChild(Number(rest[rest.length - 1]), opType, index);
        if (guess) places.push(guess);
      }
      break;
    }
    const child = children[i];
    if (!child) break;
    places.push({ file, line: child.line, name: `${name}[${i}]` });
    const cls = index.byName.get(child.callee)?.find((c) => c.children);
    children = cls?.children;
    file = cls?.file ?? file;
    name = cls?.name ?? child.callee;
  }
  return places;
}

function guessSequentialChild(i: number, opType: string, index: SourceIndex): Place | undefined {
  const fits = index.classes.filter((c) => c.children?.[i] && TORCH_MODULE_OPS[c.children[i].callee]?.includes(opType));
  if (!fits.length) return undefined;
  const cls = pickClass(fits, index);
  return { file: cls.file, line: cls.children![i].line, name: `${cls.name}[${i}]` };
}

/** ONNX ops torch.onnx exports each torch.nn module as (decompositions included), for guesses by type. */
const TORCH_MODULE_OPS: Record<string, string[]> = {
  Conv1d: ['Conv'],
  Conv2d: ['Conv'],
  Conv3d: ['Conv'],
  ConvTranspose1d: ['ConvTranspose'],
  ConvTranspose2d: ['ConvTranspose'],
  ConvTranspose3d: ['ConvTranspose'],
  BatchNorm1d: ['BatchNormalization'],
  BatchNorm2d: ['BatchNormalization'],
  BatchNorm3d: ['BatchNormalization'],
  ReLU: ['Relu'],
  ReLU6: ['Clip'],
  LeakyReLU: ['LeakyRelu'],
  Hardswish: ['HardSwish'],
  Hardsigmoid: ['HardSigmoid'],
  Sigmoid: ['Sigmoid'],
  SiLU: ['Sigmoid', 'Mul'],
  Tanh: ['Tanh'],
  GELU: ['Gelu', 'Erf', 'Div', 'Add', 'Mul'],
  Linear: ['Gemm', 'MatMul', 'Add'],
  MaxPool1d: ['MaxPool'],
  MaxPool2d: ['MaxPool'],
  AvgPool2d: ['AveragePool'],
  AdaptiveAvgPool2d: ['GlobalAveragePool', 'AveragePool', 'ReduceMean'],
  LayerNorm: ['LayerNormalization', 'ReduceMean', 'Sub', 'Pow', 'Add', 'Sqrt', 'Div', 'Mul'],
  Softmax: ['Softmax'],
  Flatten: ['Flatten', 'Reshape'],
  Upsample: ['Resize'],
  Embedding: ['Gather'],
};

function resolvePath(parts: string[], index: SourceIndex, root: PyClass | undefined): Resolution | undefined {
  // undefined: owner unknown, any class with the attribute may do
  let current: PyClass[] | undefined = root?.assignments.has(parts[0]) ? [root] : undefined;
  let last: Resolution | undefined;
  let resolved = 0;
  const visited = new Set<PyClass>();
  for (const [at, part] of parts.entries()) {
    if (/^\d+$/.test(part)) continue; // an index into a Sequential/ModuleList keeps the element class hint
    // A module does not contain itself: ResNet.layer1[0].conv1 is a block's conv1, not ResNet's.
    const unvisited = index.classes.filter((c) => !visited.has(c));
    const candidates = (current ?? unvisited).filter((c) => c.assignments.has(part));
    if (!candidates.length) {
      if (current === undefined) break;
      // The hinted class does not have it (e.g. the hint was the container's argument): widen.
      const any = unvisited.filter((c) => c.assignments.has(part));
      if (!any.length) break;
      candidates.push(...any);
    }
    const owner = pickClass(candidates, index);
    visited.add(owner);
    const assignment = owner.assignments.get(part)!;
    resolved++;
    last = { owner, assignment, resolved, rest: parts.slice(at + 1) };
    current = classesIn(assignment.expr, index);
  }
  return last;
}

/** Workspace classes a constructor expression builds: `Bottleneck(...)`, `nn.ModuleList([Layer(c) for ...])`. */
function classesIn(expr: string, index: SourceIndex): PyClass[] | undefined {
  const names = [...expr.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]).filter((n) => index.byName.has(n));
  if (!names.length) return undefined;
  return names.flatMap((n) => index.byName.get(n)!);
}

function pickClass(candidates: PyClass[], index: SourceIndex): PyClass {
  // When the path does not say which class (e.g. ResNet's blocks come in as a parameter), prefer the
  // one the code actually uses most, e.g. `ResNet(Bottleneck, [3, 4, 6, 3])`.
  return candidates.reduce((a, b) => ((index.mentions.get(b.name) ?? 0) > (index.mentions.get(a.name) ?? 0) ? b : a));
}

// ---- presentation ----

function formatMs(ms: number): string {
  return ms >= 10 ? `${ms.toFixed(1)} ms` : ms >= 0.1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} µs`;
}

function formatShare(share: number): string {
  return `${(share * 100).toFixed(share >= 0.1 ? 0 : 1)}%`;
}

function lineLabel(name: string, ms: number, share: number, ops: HotspotOp[]): string {
  const more = ops.length > 1 ? ` (+${ops.length - 1} op${ops.length > 2 ? 's' : ''})` : '';
  return `${name} · ${formatMs(ms)} · ${formatShare(share)} · ${ops[0].kernel}${more}`;
}

const cell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/`/g, "'");

function hoverMarkdown(name: string, ms: number, share: number, ops: HotspotOp[], mode: string): string {
  const rows = ops.map((o) => `| ${cell(o.op)} | \`${cell(o.node)}\` | ${cell(o.kernel)} | ${cell(o.isa)} | ${o.ms.toFixed(3)} | ${formatShare(o.share)} |`);
  return [
    `**${cell(name)}** — ${formatMs(ms)} (${formatShare(share)} of ${cell(mode)} run)`,
    '',
    '| op | node | kernel | ISA | ms | share |',
    '| --- | --- | --- | --- | ---: | ---: |',
    ...rows,
  ].join('\n');
}
