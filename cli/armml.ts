// `armml`: the engine from a terminal and in CI (info, run, profile, bench, diff).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { loadModel } from '../engine/onnx/loader.js';
import { Plan } from '../engine/executor.js';
import { loadNative } from '../engine/native.js';
import { readInputs } from '../engine/testdata/conformance.js';
import { tensorToProtoBytes } from '../engine/onnx/tensor-proto.js';
import { chooseInputs, bindInputs } from '../engine/inputs.js';
import { profileModel, AVAILABLE_MODES, PLANNED_MODES } from '../engine/profile.js';
import { PASSES, checkPassNames } from '../engine/compiler/compile.js';
import { graphMode } from '../engine/compiler/graph-mode.js';
import { toChromeTrace } from '../engine/trace.js';
import { renderHtmlReport } from '../engine/report/html.js';
import { supportedOps } from '../engine/registry.js';
import type { Mode } from '../engine/ops/types.js';
import { diffReport, diffWarnings, profileReport, table } from './format.js';
import { BENCH_KINDS, benchRows, isBenchKind, peakLine, runBench } from '../engine/bench.js';
import { parseProfileDoc } from '../common/profile-file.js';
import { diffProfiles } from '../common/diff.js';
import type { ProfileDoc } from '../common/profile.js';

/** The package root: one level above both `cli/` (sources) and `dist/` (bundle). */
const ROOT = path.resolve(__dirname, '..');
const VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
export const EXAMPLES: Record<string, string> = {
  example: 'examples/shapes-mobilenetv2/model.onnx',
};

class UsageError extends Error {}

function resolveModel(arg: string): string {
  const builtin = EXAMPLES[arg];
  const file = builtin ? path.join(ROOT, builtin) : path.resolve(arg);
  if (!fs.existsSync(file)) throw new Error(`${arg}: file not found${builtin ? ' (the bundled example is missing from this install)' : ''}`);
  return file;
}

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
  return n;
};

/** Thread counts for bench: "2", "1,2,4" or a range "1..4". */
function parseThreadList(v: string): number[] {
  const range = /^(\d+)\.\.(\d+)$/.exec(v.trim());
  const list = range
    ? Array.from({ length: Math.max(0, Number(range[2]) - Number(range[1]) + 1) }, (_, i) => Number(range[1]) + i)
    : v.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 256)) {
    throw new InvalidArgumentError(`--threads must be a count, a list (1,2) or a range (1..4) of integers 1..256, got '${v}'`);
  }
  return list;
}

function parseModes(v: string): Mode[] {
  const modes = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of modes) {
    if ((PLANNED_MODES as readonly string[]).includes(m)) throw new InvalidArgumentError(`mode '${m}' is planned but not available yet (available: ${AVAILABLE_MODES.join(', ')})`);
    if (!(AVAILABLE_MODES as readonly string[]).includes(m)) throw new InvalidArgumentError(`unknown mode '${m}' (available: ${AVAILABLE_MODES.join(', ')})`);
  }
  if (modes.length === 0) throw new InvalidArgumentError('no modes given');
  return modes as Mode[];
}

function parseShapes(v: string, prev: Record<string, number[]> = {}): Record<string, number[]> {
  const m = /^([^=]+)=(\d+(?:[x,]\d+)*)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`expected NAME=DxDx…, e.g. input=1x3x224x224, got '${v}'`);
  return { ...prev, [m[1]]: m[2].split(/[x,]/).map(Number) };
}

/** A bad threshold exits 2 (bad usage), so a CI gate's caller can tell a mistyped flag from a regression (4). */
function parsePercent(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--threshold must be a percentage >= 0, got '${v}'`);
  return n;
}

function readProfile(file: string): ProfileDoc {
  if (!fs.existsSync(file)) throw new Error(`${file}: file not found`);
  if (fs.statSync(file).isDirectory()) throw new Error(`${file}: is a folder, expected an armml.profile/1 JSON file`);
  return parseProfileDoc(fs.readFileSync(file, 'utf8'), file);
}

function writeFile(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, data);
}

const program = new Command();
// Commander's own usage errors (unknown option, bad value, missing argument) come back to main()
// instead of exiting, so they exit 2 like ours; subcommands inherit this.
program.exitOverride();
program.name('armml').description('Arm ML Profiler: where inference time goes, op by op, kernel by kernel').version(VERSION);

program
  .command('info')
  .description('CPU, ISA features, selected kernel variants and supported ops')
  .option('--json', 'print JSON')
  .action((o: { json?: boolean }) => {
    const native = loadNative();
    const cpu = native.cpuInfo();
    const variants = native.variants();
    const ops = supportedOps();
    if (o.json) {
      console.log(JSON.stringify({ cpu, variants, ops }, null, 2));
      return;
    }
    console.log(`CPU: ${cpu.name}${cpu.midr ? ` (MIDR ${cpu.midr})` : ''} · ${cpu.arch} · ${cpu.cores} cores`);
    console.log(`ISA: ${cpu.isa.join(' ') || '(none beyond the base instruction set)'}`);
    console.log('');
    console.log(
      table(
        ['family', 'variant', 'ISA', 'supported', 'selected'],
        variants.map((v) => [v.family, v.name, v.isa, v.supported ? 'yes' : 'no', v.selected ? '*' : '']),
      ),
    );
    console.log(`\n${ops.length} ops supported (armml info --json lists them).`);
  });

program
  .command('run')
  .description('run a model on input_K.pb tensors and write output_K.pb tensors')
  .argument('<model>', '.onnx file or built-in example name')
  .requiredOption('--inputs <dir>', 'folder with input_0.pb, input_1.pb, … (ONNX TensorProto)')
  .requiredOption('--out <dir>', 'folder to write output_0.pb, … into')
  .option('--mode <mode>', 'baseline, eager or graph', 'eager')
  .option('--threads <n>', 'threads for eager mode', int('--threads', 1), os.availableParallelism())
  .action((modelArg: string, o: { inputs: string; out: string; mode: string; threads: number }) => {
    const [mode] = parseModes(o.mode);
    const file = resolveModel(modelArg);
    const model = loadModel(file);
    const plan = new Plan(model);
    if (!fs.existsSync(o.inputs)) throw new UsageError(`${o.inputs}: folder not found`);
    const inputs = readInputs(o.inputs, model.graph.inputs);
    bindInputs(model.graph, inputs);
    const threads = mode === 'baseline' ? 1 : o.threads;
    const native = loadNative();
    // Graph mode runs the model compiled for these inputs, on eager's kernels.
    const run = mode === 'graph' ? graphMode(model, inputs, { threads, native, plan }).program : plan;
    const { outputs } = run.run(inputs, { mode: mode === 'graph' ? 'eager' : mode, threads, native });
    fs.mkdirSync(o.out, { recursive: true });
    outputs.forEach((v, k) => {
      if (!v || 'kind' in v) throw new Error(`output ${k} (${model.graph.outputs[k].name}) is not a tensor; only tensor outputs can be written`);
      fs.writeFileSync(path.join(o.out, `output_${k}.pb`), tensorToProtoBytes(v, model.graph.outputs[k].name));
    });
    console.error(`wrote ${outputs.length} output(s) to ${o.out}`);
  });

program
  .command('profile')
  .description('time every op of a model in each execution mode and report where the time goes')
  .argument('[model]', '.onnx file or built-in example name ("example")')
  .option('--modes <list>', `comma-separated modes (${AVAILABLE_MODES.join(', ')})`, parseModes, ['baseline', 'eager', 'graph'] as Mode[])
  .option('--threads <n>', 'threads for optimized modes', int('--threads', 1), os.availableParallelism())
  .option('--warmup <n>', 'untimed iterations per mode', int('--warmup', 0), 2)
  .option('--iters <n>', 'timed iterations per mode', int('--iters', 1), 10)
  .option('--inputs <dir>', 'input_K.pb folder (default: the model folder\'s test_data_set_0, else synthetic inputs)')
  .option('--input-shape <name=DxD…>', 'shape for a synthetic input (repeatable)', parseShapes)
  .option('--json <file>', 'write the armml.profile/1 JSON')
  .option('--trace <file>', 'write a Chrome trace (open in Perfetto)')
  .option('--html <file>', 'write a standalone HTML report (stack, speedups, op table, timeline, roofline)')
  .option('--top <n>', 'rows of the op table to print', int('--top', 1), 15)
  .option('--target <uri>', 'where to run: local (default); ssh://user@host[:port] is planned')
  .option('--passes', "list graph mode's compiler passes and exit")
  .option('--disable-pass <name>', 'turn a graph-compiler pass off (repeatable; see --passes)', (v: string, prev: string[] = []) => [...prev, v])
  .action(async (modelArg: string | undefined, o: { modes: Mode[]; threads: number; warmup: number; iters: number; inputs?: string; inputShape?: Record<string, number[]>; json?: string; trace?: string; html?: string; top: number; target?: string; passes?: boolean; disablePass?: string[] }) => {
    if (o.passes) {
      console.log(table(['pass', 'what it does'], PASSES.map((p) => [p.name, p.description])));
      return;
    }
    if (!modelArg) throw new UsageError("missing the model argument (an .onnx file or 'example')");
    if (o.target && o.target !== 'local') throw new UsageError(`--target ${o.target}: remote targets are not available yet; only local runs are`);
    try {
      checkPassNames(o.disablePass ?? []);
    } catch (e) {
      throw new UsageError(`--disable-pass: ${(e as Error).message}`);
    }
    const file = resolveModel(modelArg);
    const model = loadModel(file);
    if (o.inputs && !fs.existsSync(o.inputs)) throw new UsageError(`${o.inputs}: folder not found`);
    const { inputs, references, label } = chooseInputs(model, file, { inputsDir: o.inputs, shapes: o.inputShape });
    const native = loadNative();
    const ac = new AbortController();
    process.once('SIGINT', () => {
      console.error('\ncancelling…');
      ac.abort();
    });
    const tty = process.stderr.isTTY;
    const doc = await profileModel(model, {
      modes: o.modes,
      threads: o.threads,
      warmup: o.warmup,
      iters: o.iters,
      inputs,
      references,
      inputsLabel: label,
      native,
      signal: ac.signal,
      toolVersion: VERSION,
      disabledPasses: o.disablePass,
      onProgress: (p) => {
        if (tty) process.stderr.write(`\r${p.mode}: ${p.phase} ${p.iter}/${p.of}   `);
      },
    });
    if (tty) process.stderr.write('\r\x1b[K');
    console.log(profileReport(doc, o.top));
    if (o.json) {
      writeFile(o.json, JSON.stringify(doc, null, 1));
      console.log(`\nprofile written to ${o.json}`);
    }
    if (o.trace) {
      writeFile(o.trace, JSON.stringify(toChromeTrace(doc)));
      console.log(`trace written to ${o.trace}`);
    }
    if (o.html) {
      writeFile(o.html, renderHtmlReport([doc]));
      console.log(`report written to ${o.html}`);
    }
    if (doc.runs.some((r) => !r.outputs_ok)) {
      console.error('armml: some modes produced wrong outputs (see above)');
      process.exitCode = 3;
    }
  });

program
  .command('bench')
  .description(`kernel throughput vs. the machine peak measured in the same run (${BENCH_KINDS.join(', ')})`)
  .argument('<kind>', BENCH_KINDS.join(' | '))
  .option('--json', 'print JSON: { kind, peak: { gflops, gbps }, results: [...] }')
  .option('--threads <list>', 'thread counts, one run each: 2, 1,2 or 1..N (default 1..all cores)', parseThreadList, Array.from({ length: os.availableParallelism() }, (_, i) => i + 1))
  .option('--quick', 'fewer, smaller cases and shorter timings (smoke runs)')
  .action((kind: string, o: { json?: boolean; threads: number[]; quick?: boolean }) => {
    if (!isBenchKind(kind)) throw new UsageError(`unknown bench kind '${kind}' (available: ${BENCH_KINDS.join(', ')})`);
    const report = runBench(loadNative(), kind, { threads: o.threads, quick: !!o.quick });
    if (o.json) {
      console.log(JSON.stringify(report, null, 1));
      return;
    }
    const { headers, rows } = benchRows(report);
    console.log(peakLine(report));
    console.log('');
    console.log(table(headers, rows, headers.map((h) => !['layer', 'case', 'kernel', 'B'].includes(h))));
  });

program
  .command('diff')
  .description('compare two armml.profile/1 files mode by mode and op by op; exit 4 when B is slower (a CI regression gate)')
  .argument('<a>', 'the reference profile (e.g. from the main branch)')
  .argument('<b>', 'the profile to check against it')
  .option('--threshold <pct>', 'median change, in percent, that counts when the p10–p90 ranges do not overlap either', parsePercent, 5)
  .option('--top <n>', 'op rows to print per mode', int('--top', 1), 15)
  .option('--mode <mode>', 'compare only this mode')
  .option('--json <file>', 'write the comparison as JSON (armml.diff/1)')
  .action((fileA: string, fileB: string, o: { threshold: number; top: number; mode?: string; json?: string }) => {
    const a = readProfile(fileA);
    const b = readProfile(fileB);
    const diff = diffProfiles(a, b, { thresholdPct: o.threshold, mode: o.mode });
    if (diff.modes.length === 0) {
      const modes = (d: ProfileDoc) => d.runs.map((r) => r.mode).join(', ') || 'no runs';
      const what = o.mode ? `mode '${o.mode}' is not in both profiles` : 'no mode is in both profiles';
      throw new Error(`${what} (${fileA}: ${modes(a)}; ${fileB}: ${modes(b)})`);
    }
    for (const w of diffWarnings(diff)) console.error(`armml: warning: ${w}`);
    console.log(diffReport(diff, o.top, { a: fileA, b: fileB }));
    if (o.json) {
      writeFile(o.json, JSON.stringify(diff, null, 1));
      console.log(`\ndiff written to ${o.json}`);
    }
    const { outputs_broken, regressions } = diff.summary;
    if (outputs_broken.length) console.error(`armml: outputs wrong in B, correct in A: ${outputs_broken.join(', ')}`);
    if (regressions.length) {
      console.error(`armml: slower in B beyond the noise (threshold ${diff.threshold_pct}%): ${regressions.join(', ')}`);
    }
    // Wrong outputs outrank a slowdown, with the same code as `armml profile`'s.
    if (outputs_broken.length) process.exitCode = 3;
    else if (regressions.length) process.exitCode = 4;
  });

export async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed the message (or the help or version) already.
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`armml: ${msg}`);
    if (process.env.ARMML_DEBUG && e instanceof Error) console.error(e.stack);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) void main(process.argv);
