// Control flow: If, Loop and Scan run their body subgraphs through ctx.runSubgraph.
import { Tensor, type DType } from '../tensor.js';
import type { Graph, ValueType } from '../graph.js';
import { normalizeAxis } from './util.js';
import { concatTensors, sliceAxis } from './sequence.js';
import { OpError, optionalTensor, tensorInput, type OpContext, type OpEntry, type Value } from './types.js';

/** A Loop whose trip count and condition never stop it would hang the run; stop it with an error instead. */
export const MAX_LOOP_ITERATIONS = 10_000_000;

function requireGraph(ctx: OpContext, name: string): Graph {
  const g = ctx.attrs.graph(name);
  if (!g) throw new OpError(`${ctx.node.opType} needs the ${name} attribute`);
  return g;
}

function truthy(t: Tensor, what: string): boolean {
  if (t.size !== 1) throw new OpError(`${what} must hold one element, got shape [${t.dims.join(',')}]`);
  return t.data[0] !== 0 && t.data[0] !== 0n && t.data[0] !== '';
}

function asTensor(v: Value | undefined, what: string): Tensor {
  if (v === undefined || v === null) throw new OpError(`${what} is empty`);
  if ('kind' in v) throw new OpError(`${what} must be a tensor, got a sequence`);
  return v;
}

function ifOp(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const cond = truthy(tensorInput(inputs, 0, 'cond'), 'If cond');
  const branch = requireGraph(ctx, cond ? 'then_branch' : 'else_branch');
  const outs = ctx.runSubgraph(branch, []);
  if (outs.length !== ctx.node.outputs.length) {
    throw new OpError(`If ${cond ? 'then' : 'else'} branch has ${outs.length} outputs, the node ${ctx.node.outputs.length}`);
  }
  return outs;
}

/** Element type and trailing dims a scan output would have, for loops that ran zero times. */
function emptyScanOutput(type: ValueType | undefined): Tensor {
  const dtype: DType = (type?.kind === 'tensor' && type.dtype) || 'float32';
  const shape = type?.kind === 'tensor' ? type.shape : undefined;
  const rest = shape && shape.every((d) => typeof d === 'number') ? (shape as number[]) : [];
  return new Tensor(dtype, [0, ...rest]);
}

function loop(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const body = requireGraph(ctx, 'body');
  const mT = optionalTensor(inputs, 0);
  const condT = optionalTensor(inputs, 1);
  const tripCount = mT ? mT.num(0) : Infinity;
  let cond = condT ? truthy(condT, 'Loop cond') : true;
  let carried = inputs.slice(2).map((v) => v ?? null);
  const nCarried = carried.length;
  const nScan = body.outputs.length - 1 - nCarried;
  if (nScan < 0) throw new OpError(`Loop body has ${body.outputs.length} outputs, fewer than 1 + ${nCarried} loop-carried values`);
  if (body.inputs.length !== 2 + nCarried) throw new OpError(`Loop body takes ${body.inputs.length} inputs, expected 2 + ${nCarried}`);
  const scans: Tensor[][] = Array.from({ length: nScan }, () => []);
  const condDtype: DType = condT?.dtype ?? 'bool';
  let i = 0;
  for (; i < tripCount && cond; i++) {
    if (i >= MAX_LOOP_ITERATIONS) throw new OpError(`Loop ran ${MAX_LOOP_ITERATIONS} iterations without stopping`);
    const iter = new Tensor('int64', [], BigInt64Array.of(BigInt(i)));
    const condIn = new Tensor(condDtype === 'bool' ? 'bool' : condDtype, [], condDtype === 'bool' ? Uint8Array.of(1) : undefined);
    const outs = ctx.runSubgraph(body, [iter, condIn, ...carried]);
    cond = truthy(asTensor(outs[0], 'Loop body condition output'), 'Loop body condition output');
    carried = outs.slice(1, 1 + nCarried);
    for (let k = 0; k < nScan; k++) scans[k].push(asTensor(outs[1 + nCarried + k], `Loop scan output ${k}`));
  }
  const scanOuts = scans.map((items, k) =>
    items.length ? concatTensors(items, 0, true, 'Loop') : emptyScanOutput(body.outputs[1 + nCarried + k].type),
  );
  return [...carried, ...scanOuts];
}

/** Slice `step` of a scan input along `axis`, with that axis removed. */
function scanSlice(t: Tensor, axis: number, step: number): Tensor {
  return sliceAxis(t, axis, step, 1).reshape(t.dims.filter((_, i) => i !== axis));
}

interface ScanPlan {
  body: Graph;
  nState: number;
  nScanIn: number;
  nScanOut: number;
  inAxes: number[];
  inReverse: boolean[];
  outAxes: number[];
  outReverse: boolean[];
}

function scanPlan(ctx: OpContext, nInputs: number, scanRankOffset: number): ScanPlan {
  const body = requireGraph(ctx, 'body');
  const nScanIn = ctx.attrs.int('num_scan_inputs');
  if (nScanIn === undefined || nScanIn < 1) throw new OpError('Scan needs num_scan_inputs >= 1');
  const nState = nInputs - nScanIn;
  if (nState < 0) throw new OpError(`Scan has ${nInputs} state and scan inputs, fewer than num_scan_inputs ${nScanIn}`);
  const nScanOut = body.outputs.length - nState;
  if (nScanOut < 0) throw new OpError(`Scan body has ${body.outputs.length} outputs, fewer than ${nState} states`);
  const dirs = (name: string, n: number): boolean[] => {
    const v = ctx.attrs.ints(name) ?? new Array<number>(n).fill(0);
    if (v.length !== n) throw new OpError(`Scan ${name} has ${v.length} entries, expected ${n}`);
    return v.map((d) => d === 1);
  };
  const axes = (name: string, n: number) => {
    const v = ctx.attrs.ints(name) ?? new Array<number>(n).fill(0);
    if (v.length !== n) throw new OpError(`Scan ${name} has ${v.length} entries, expected ${n}`);
    return v;
  };
  const legacy = ctx.opset < 9;
  return {
    body,
    nState,
    nScanIn,
    nScanOut,
    inAxes: legacy ? new Array<number>(nScanIn).fill(scanRankOffset) : axes('scan_input_axes', nScanIn),
    inReverse: dirs(legacy ? 'directions' : 'scan_input_directions', nScanIn),
    outAxes: legacy ? new Array<number>(nScanOut).fill(scanRankOffset) : axes('scan_output_axes', nScanOut),
    outReverse: legacy ? new Array<boolean>(nScanOut).fill(false) : dirs('scan_output_directions', nScanOut),
  };
}

/** Runs the body over one batch of scan inputs; returns final states and per-step scan outputs. */
function runScan(
  ctx: OpContext,
  plan: ScanPlan,
  states: Value[],
  scanIns: Tensor[],
  axes: number[],
  steps: number,
): { states: Value[]; outs: Tensor[][] } {
  const outs: Tensor[][] = Array.from({ length: plan.nScanOut }, () => []);
  for (let s = 0; s < steps; s++) {
    const slices = scanIns.map((t, k) => scanSlice(t, axes[k], plan.inReverse[k] ? steps - 1 - s : s));
    const res = ctx.runSubgraph(plan.body, [...states, ...slices]);
    states = res.slice(0, plan.nState);
    for (let k = 0; k < plan.nScanOut; k++) outs[k].push(asTensor(res[plan.nState + k], `Scan output ${k}`));
  }
  return { states, outs };
}

function stackScanOutput(items: Tensor[], axis: number, reverse: boolean, type: ValueType | undefined): Tensor {
  if (items.length === 0) return emptyScanOutput(type);
  const ordered = reverse ? items.slice().reverse() : items;
  return concatTensors(ordered, axis, true, 'Scan');
}

function scan9(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const plan = scanPlan(ctx, inputs.length, 0);
  const states = inputs.slice(0, plan.nState).map((v) => v ?? null);
  const scanIns = inputs.slice(plan.nState).map((v, k) => asTensor(v, `Scan input ${k}`));
  const axes = scanIns.map((t, k) => normalizeAxis(plan.inAxes[k], t.rank, 'scan_input_axes entry'));
  const steps = scanIns[0].dims[axes[0]];
  scanIns.forEach((t, k) => {
    if (t.dims[axes[k]] !== steps) throw new OpError(`Scan inputs have different sequence lengths (${steps} and ${t.dims[axes[k]]})`);
  });
  const r = runScan(ctx, plan, states, scanIns, axes, steps);
  const outs = r.outs.map((items, k) => {
    const rank = (items[0]?.rank ?? 0) + 1;
    const axis = normalizeAxis(plan.outAxes[k], rank, 'scan_output_axes entry');
    return stackScanOutput(items, axis, plan.outReverse[k], plan.body.outputs[plan.nState + k].type);
  });
  return [...r.states, ...outs];
}

/** Opset 8: a leading batch axis on states and scan inputs, and optional per-batch sequence lengths. */
function scan8(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const seqLens = optionalTensor(inputs, 0);
  const rest = inputs.slice(1);
  const plan = scanPlan(ctx, rest.length, 0);
  const states = rest.slice(0, plan.nState).map((v, k) => asTensor(v, `Scan state ${k}`));
  const scanIns = rest.slice(plan.nState).map((v, k) => asTensor(v, `Scan input ${k}`));
  for (const t of scanIns) if (t.rank < 2) throw new OpError('Scan (opset 8) inputs need [batch, sequence, ...] shapes');
  const batch = scanIns[0].dims[0];
  const maxLen = scanIns[0].dims[1];
  const lens = seqLens ? seqLens.toNumbers() : new Array<number>(batch).fill(maxLen);
  if (lens.length !== batch || lens.some((l) => l < 0 || l > maxLen))
    throw new OpError(`Scan sequence_lens [${lens.join(',')}] do not fit batch ${batch} and length ${maxLen}`);
  const finalStates: Tensor[][] = states.map(() => []);
  const scanOuts: Tensor[][] = Array.from({ length: plan.nScanOut }, () => []);
  for (let b = 0; b < batch; b++) {
    const bStates = states.map((t) => scanSlice(t, 0, b));
    const bIns = scanIns.map((t) => sliceAxis(scanSlice(t, 0, b), 0, 0, lens[b]));
    const r = runScan(ctx, plan, bStates, bIns, new Array<number>(bIns.length).fill(0), lens[b]);
    r.states.forEach((s, k) => finalStates[k].push(asTensor(s, `Scan state ${k}`)));
    r.outs.forEach((items, k) => {
      let stacked = stackScanOutput(items, 0, false, undefined);
      if (lens[b] < maxLen && items.length) {
        const pad = new Tensor(stacked.dtype, [maxLen - lens[b], ...items[0].dims]);
        stacked = concatTensors([stacked, pad], 0, false, 'Scan');
      }
      scanOuts[k].push(stacked);
    });
  }
  return [
    ...finalStates.map((items) => concatTensors(items, 0, true, 'Scan')),
    ...scanOuts.map((items) => concatTensors(items, 0, true, 'Scan')),
  ];
}

export const ops: OpEntry[] = [
  { op: 'If', domain: '', since: 1, impl: ifOp },
  { op: 'Loop', domain: '', since: 1, impl: loop },
  { op: 'Scan', domain: '', since: 8, until: 8, impl: scan8 },
  { op: 'Scan', domain: '', since: 9, impl: scan9 },
];
