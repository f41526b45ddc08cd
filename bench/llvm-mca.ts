// Static throughput estimates of the AArch64 kernels' hot loops on Neoverse cores, without Arm
// hardware: each kernel file is compiled as the addon compiles it (aarch64-linux-gnu-g++ -O3, the
// SVE files with -march=armv8.2-a+sve), the hot loop is cut out of the assembly (the basic block
// with the most FMLA/FMAD and the way back to it) and fed to llvm-mca-19 for Neoverse-N1, V1, V2.
// Usage: npx tsx bench/llvm-mca.ts [--write]
// With --write, replaces the "llvm-mca" section of BENCHMARKS.md with the table printed.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { replaceSection } from './report.js';

const ROOT = path.resolve(__dirname, '..');

export interface KernelSpec {
  name: string;
  sve: boolean;
  prefer?: RegExp; // an instruction the measured loop must contain (picks one of equal loops)
}

/**
 * The AArch64 kernels analysed: every arm64 matmul micro-kernel and the peak probes. The depthwise
 * kernels' loops live in the shared row-block template (dwconv2d_impl.h), one instance per block
 * shape, not in one function this script can pick a single hot loop from.
 */
export const KERNELS: KernelSpec[] = [
  { name: 'matmul_f32_8x12_neon_fma', sve: false },
  // The depth loop (LD1RQW replicates A quads), not the NEON code its GELU epilogue runs.
  { name: 'matmul_f32_8x2vl_sve', sve: true, prefer: /^ld1rqw/ },
  { name: 'matmul_f32_4x8_portable', sve: false },
  { name: 'peak_f32_16x4_neon_fma', sve: false },
  { name: 'peak_f32_20x1vl_sve', sve: true },
];

export interface CoreSpec {
  cpu: string; // llvm-mca -mcpu
  label: string;
  prefix: string; // resource-name prefix of the core's own scheduling model in LLVM 19
  neonFmaPerCycle: number; // 128-bit FMLA issued per cycle
  sveFmaPerCycle: number; // SVE FMLA per cycle at sveBits (0: no SVE)
  sveBits: number; // vector length the model assumes
}

export const CORES: CoreSpec[] = [
  { cpu: 'neoverse-n1', label: 'Neoverse-N1', prefix: 'N1', neonFmaPerCycle: 2, sveFmaPerCycle: 0, sveBits: 0 },
  { cpu: 'neoverse-v1', label: 'Neoverse-V1', prefix: 'V1', neonFmaPerCycle: 4, sveFmaPerCycle: 2, sveBits: 256 },
  { cpu: 'neoverse-v2', label: 'Neoverse-V2', prefix: 'V2', neonFmaPerCycle: 4, sveFmaPerCycle: 4, sveBits: 128 },
];

const MODEL_NAMES: Record<string, string> = {
  N1: 'NeoverseN1',
  N2: 'NeoverseN2',
  V1: 'NeoverseV1',
  V2: 'NeoverseV2',
  A64FX: 'A64FX',
  CortexA510: 'CortexA510 (generic)',
};

export function tool(envName: string, candidates: string[], hint: string): string {
  const forced = process.env[envName];
  if (forced) return forced;
  for (const c of candidates) {
    if (path.isAbsolute(c) ? fs.existsSync(c) : spawnSync('sh', ['-c', `command -v ${c}`]).status === 0) return c;
  }
  throw new Error(`${candidates[0]} not found (${hint}); or set ${envName}`);
}

export const cxx = () => tool('CXX_AARCH64', ['aarch64-linux-gnu-g++'], 'apt-get install g++-aarch64-linux-gnu');
export const mca = () => tool('LLVM_MCA', ['llvm-mca-19', '/usr/lib/llvm-19/bin/llvm-mca'], 'apt-get install llvm-19');

/** The kernel file compiled to assembly exactly as binding.gyp builds it for arm64. */
export function compileKernel(k: KernelSpec): string {
  const src = path.join(ROOT, 'native/kernels', `${k.name}.cc`);
  const flags = ['-std=c++17', '-O3', ...(k.sve ? ['-march=armv8.2-a+sve'] : []), '-S', src, '-o', '-'];
  return execFileSync(cxx(), flags, { encoding: 'utf8', maxBuffer: 64 << 20 });
}

export interface Block {
  label: string; // label of the block with the most FMAs
  instrs: string[]; // one iteration: that block and the shortest way back to it
  fma: number;
  blocks: number; // basic blocks in that iteration
  loop: boolean; // false when the block is on no cycle (straight-line code)
  stack: number; // instructions addressing sp
}

const COND = 'eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le';
const BRANCH = new RegExp(`^(b|b\\.?(${COND})|cbn?z|tbn?z|ret|br)$`);
const FMA = /^(fmla|fmad)$/;

interface BasicBlock {
  label: string;
  instrs: string[];
  succ: number[];
}

/** One function of GCC's assembly as basic blocks with their successors. */
function basicBlocks(asm: string, name: string): BasicBlock[] {
  const lines = asm.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^_ZN5armml${name.length}${name}E\\S*:$`).test(l));
  if (start < 0) throw new Error(`no function ${name} in the assembly`);
  const blocks: BasicBlock[] = [];
  let cur: BasicBlock = { label: '', instrs: [], succ: [] };
  const close = (next: string) => {
    if (cur.instrs.length || cur.label) blocks.push(cur);
    cur = { label: next, instrs: [], succ: [] };
  };
  for (const raw of lines.slice(start + 1)) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (line === '.cfi_endproc' || line.startsWith('.size')) break;
    const label = /^(\.?L\w+):$/.exec(line);
    if (label) close(label[1]);
    else if (line && !line.startsWith('.')) {
      cur.instrs.push(line);
      if (BRANCH.test(mnemonic(line))) close('');
    }
  }
  close('');
  const index = new Map(blocks.map((b, i) => [b.label, i]));
  blocks.forEach((b, i) => {
    const last = b.instrs[b.instrs.length - 1] ?? '';
    const m = mnemonic(last);
    const target = index.get(last.split(/[\s,]+/).pop() ?? '');
    const fall = i + 1 < blocks.length ? [i + 1] : [];
    if (m === 'ret' || m === 'br') b.succ = [];
    else if (m === 'b') b.succ = target !== undefined ? [target] : [];
    else if (BRANCH.test(m)) b.succ = [...(target !== undefined ? [target] : []), ...fall];
    else b.succ = fall;
  });
  return blocks;
}

function mnemonic(i: string): string {
  return i.split(/\s+/)[0];
}

/**
 * The hot loop of one kernel: the basic block with the most FMLA/FMAD (among those matching
 * `prefer`, when given), plus the blocks on the shortest path from it back to itself, so a loop
 * GCC lays out over several blocks is measured as one whole iteration (llvm-mca runs the
 * sequence as straight-line code, its branches included).
 */
export function hotLoop(asm: string, name: string, prefer?: RegExp): Block {
  const blocks = basicBlocks(asm, name);
  const fmaOf = (b: BasicBlock) => b.instrs.filter((i) => FMA.test(mnemonic(i))).length;
  const cycle = (start: number): number[] | undefined => {
    // Breadth-first from the block's successors back to it.
    const prev = new Map<number, number>();
    const queue = [...blocks[start].succ];
    for (const s of queue) prev.set(s, start);
    while (queue.length) {
      const b = queue.shift()!;
      if (b === start) {
        const path: number[] = [];
        for (let x = prev.get(start)!; x !== start; x = prev.get(x)!) path.unshift(x);
        return [start, ...path];
      }
      for (const s of blocks[b].succ)
        if (!prev.has(s)) {
          prev.set(s, b);
          queue.push(s);
        }
    }
    return undefined;
  };
  const candidates = blocks
    .map((b, i) => ({ i, fma: fmaOf(b), path: cycle(i) }))
    .filter((c) => c.fma > 0)
    .map((c) => ({ ...c, instrs: (c.path ?? [c.i]).flatMap((j) => blocks[j].instrs) }))
    .filter((c) => !prefer || c.instrs.some((ins) => prefer.test(ins)));
  candidates.sort((a, b) => b.fma - a.fma || Number(!!b.path) - Number(!!a.path) || a.instrs.length - b.instrs.length);
  const best = candidates[0];
  if (!best) throw new Error(`${name}: no block with FMA instructions`);
  return {
    label: blocks[best.i].label,
    instrs: best.instrs,
    fma: best.instrs.filter((i) => FMA.test(mnemonic(i))).length,
    blocks: best.path?.length ?? 1,
    loop: !!best.path,
    stack: best.instrs.filter((i) => /\[sp\b|\bsp\]|,\s*sp\b/.test(i)).length,
  };
}

export interface McaResult {
  iterations: number;
  instructions: number; // per iteration
  cycles: number; // simulated cycles per iteration (Total Cycles / Iterations)
  rthroughput: number; // Block RThroughput: the resource-bound cycles per iteration
  prefix: string; // resource-name prefix of the scheduling model llvm-mca used ('' when none)
  model: string;
  warnings: string[];
}

/** Runs llvm-mca on one loop body and reads its summary and which model's resources it used. */
export function runMca(block: Block, cpu: string, sve: boolean, iterations = 200): McaResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armml-mca-'));
  const file = path.join(dir, 'loop.s');
  fs.writeFileSync(file, block.instrs.map((i) => `\t${i}`).join('\n') + '\n');
  const args = ['-mtriple=aarch64', `-mcpu=${cpu}`, ...(sve ? ['-mattr=+sve'] : []), `-iterations=${iterations}`, file];
  const r = spawnSync(mca(), args, { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`llvm-mca -mcpu=${cpu} failed: ${r.stderr}`);
  const num = (key: string) => {
    const m = new RegExp(`^${key}:\\s+([\\d.]+)`, 'm').exec(r.stdout);
    if (!m) throw new Error(`llvm-mca output has no "${key}":\n${r.stdout}`);
    return Number(m[1]);
  };
  const unit = /^Resources:\n\[[\d.]+\]\s+-\s+(\w+)/m.exec(r.stdout)?.[1] ?? '';
  const prefix = /^(A64FX|CortexA\d+|[A-Z]\d+)/.exec(unit)?.[1] ?? '';
  const iters = num('Iterations');
  return {
    iterations: iters,
    instructions: num('Instructions') / iters,
    cycles: num('Total Cycles') / iters,
    rthroughput: num('Block RThroughput'),
    prefix,
    model: MODEL_NAMES[prefix] ?? (prefix || 'none'),
    warnings: r.stderr.split('\n').filter((l) => l.trim()),
  };
}

export interface Row {
  kernel: string;
  core: CoreSpec;
  block: Block;
  mca: McaResult;
  lanes: number; // f32 lanes per FMA instruction at the model's vector length
  fmaPerCycle: number; // FMA instructions per simulated cycle
  peakPct: number; // of the core's FMA issue rate at that width
}

export function analyze(kernels = KERNELS, cores = CORES): Row[] {
  const rows: Row[] = [];
  for (const k of kernels) {
    const block = hotLoop(compileKernel(k), k.name, k.prefer);
    if (!block.loop) throw new Error(`${k.name}: the block with the most FMAs is on no loop`);
    // SVE loops use z registers; a NEON loop of a kernel in an SVE file would still use v.
    const sveLoop = block.instrs.some((i) => /\bz\d+\./.test(i));
    for (const core of cores) {
      if (sveLoop && core.sveFmaPerCycle === 0) continue; // no SVE on this core
      const mcaResult = runMca(block, core.cpu, k.sve);
      const perCycle = sveLoop ? core.sveFmaPerCycle : core.neonFmaPerCycle;
      const cycles = Math.max(mcaResult.cycles, mcaResult.rthroughput);
      const fmaPerCycle = block.fma / cycles;
      rows.push({
        kernel: k.name,
        core,
        block,
        mca: mcaResult,
        lanes: sveLoop ? core.sveBits / 32 : 4,
        fmaPerCycle,
        peakPct: (100 * fmaPerCycle) / perCycle,
      });
    }
  }
  return rows;
}

function fmt(x: number, digits = 2): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(digits);
}

export function markdown(rows: Row[]): string {
  const head = [
    'kernel',
    'core',
    'scheduling model used',
    'instructions',
    'block RThroughput',
    'simulated cycles/iter',
    'FMA/iter',
    'f32 FMA/iter',
    'FMA/cycle',
    '% FMA peak',
    'stack accesses',
  ];
  const out = [`| ${head.join(' | ')} |`, `| ${head.map((h, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`];
  for (const r of rows) {
    const own = r.mca.prefix === r.core.prefix;
    out.push(
      `| ${[
        `\`${r.kernel}\``,
        r.core.label,
        own ? `${r.mca.model} (its own)` : `${r.mca.model} (not its own)`,
        fmt(r.mca.instructions),
        fmt(r.mca.rthroughput),
        fmt(r.mca.cycles),
        String(r.block.fma),
        String(r.block.fma * r.lanes),
        fmt(r.fmaPerCycle),
        `${r.peakPct.toFixed(0)}%`,
        String(r.block.stack),
      ].join(' | ')} |`,
    );
  }
  return out.join('\n');
}

function firstLine(cmd: string, args: string[], match: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return (
    (r.stdout || '')
      .split('\n')
      .find((l) => match.test(l))
      ?.trim() ?? cmd
  );
}

// Why the NEON peak probe is below peak, when it is: the copies around FMLA's destructive addend.
function peakNote(rows: Row[]): string[] {
  const row = rows.find((r) => r.kernel === 'peak_f32_16x4_neon_fma');
  const movs = row?.block.instrs.filter((i) => /^mov\tv/.test(i)).length ?? 0;
  if (!row || movs === 0) return [];
  return [
    '',
    `The NEON peak probe writes each chain as c = b + c * a; FMLA overwrites its addend, so GCC copies b into a scratch ` +
      `register and moves the result back: ${movs} vector MOVs for ${row.block.fma} FMLA (${row.block.instrs.length} ` +
      `instructions), which llvm-mca issues on the same vector pipes, putting the probe at ` +
      `${rows
        .filter((r) => r.kernel === row.kernel)
        .map((r) => `${r.peakPct.toFixed(0)}%`)
        .join(' / ')} ` +
      'of the FMA peak (N1 / V1 / V2). The SVE probe gets FMAD (c * a + b in place) and no copies.',
  ];
}

function main(): void {
  const rows = analyze();
  const warnings = [...new Set(rows.flatMap((r) => r.mca.warnings))];
  const gcc = firstLine(cxx(), ['--version'], /\d+\.\d+/).replace(/^.*\)\s*/, '');
  const llvm = firstLine(mca(), ['--version'], /version/i).replace(/^.*?LLVM version/i, 'llvm-mca');
  const body = [
    `Static estimates, no Arm hardware: each kernel file compiled with aarch64-linux-gnu-g++ ${gcc} -O3 (the ` +
      '`_sve` files with `-march=armv8.2-a+sve`), as binding.gyp builds it. The hot loop is the basic block with the ' +
      'most FMLA/FMAD plus the shortest path from it back to itself (one whole iteration when GCC lays a loop out over ' +
      `several blocks, as in the depthwise kernel, measured on its unit-stride path), run through ${llvm} ` +
      '(`-mtriple=aarch64 -mcpu=<core>`, 200 iterations, branches as straight-line code). ' +
      '"instructions" and "FMA/iter" are per loop iteration (one depth step for the GEMMs, one round of chains for the ' +
      'peak probes); "block RThroughput" is the resource bound llvm-mca computes, "simulated cycles/iter" its ' +
      'pipeline simulation (dependencies included). FMA/cycle and % peak use the larger of the two, against the ' +
      "core's FMA issue rate at the loop's width: Neoverse-N1 2 x 128-bit FMLA per cycle, V1 4 x 128-bit NEON or " +
      '2 x 256-bit SVE, V2 4 x 128-bit (NEON or SVE). "stack accesses" counts loop instructions addressing sp.',
    '',
    "The scheduling model is read from the resource names in llvm-mca's report (N1Unit*, V1Unit*, V2Unit*): LLVM 19 " +
      'has a model of its own for each of the three cores, Neoverse-V2 included (its resources are V2Unit*, not ' +
      'N2Unit*); an unknown -mcpu is ignored with a warning ("not a recognized processor") and no report, and ' +
      '-mcpu=generic gets the Cortex-A510 model (CortexA510Unit*). SVE loops run on V1 and V2 only (N1 has no SVE), at the vector length each model assumes: 256-bit on V1 (the ' +
      '`8x2vl` tile is 8x16 there, 8 lanes per FMLA), 128-bit on V2 (8x8, 4 lanes); llvm-mca itself has no vector ' +
      'length setting.',
    '',
    markdown(rows),
    ...peakNote(rows),
    ...(warnings.length ? ['', `llvm-mca warnings: ${warnings.join('; ')}`] : []),
  ].join('\n');
  console.log(body);
  if (process.argv.includes('--write')) {
    const machine = `${os.cpus()[0]?.model ?? os.arch()} host (estimates for Neoverse-N1/V1/V2; no Arm hardware involved)`;
    replaceSection(path.join(ROOT, 'BENCHMARKS.md'), 'llvm-mca', 'npx tsx bench/llvm-mca.ts --write', machine, body);
  }
}

if (process.argv[1] && path.basename(process.argv[1]).startsWith('llvm-mca')) main();
