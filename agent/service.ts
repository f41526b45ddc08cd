// What the agent does for each request: drives the engine. No stdio here, so tests can call it in-process.
import os from 'node:os';
import path from 'node:path';
import { loadModel } from '../engine/onnx/loader.js';
import { loadNative, type NativeBackend } from '../engine/native.js';
import { chooseInputs } from '../engine/inputs.js';
import { profileModel, AVAILABLE_MODES, PLANNED_MODES } from '../engine/profile.js';
import { checkPassNames } from '../engine/compiler/compile.js';
import { supportedOps } from '../engine/registry.js';
import type { Mode } from '../engine/ops/types.js';
import { RequestError, type Handlers, type HelloEvent, type InfoResult, PROTOCOL_VERSION } from '../common/protocol.js';

/** Set by the bundler from package.json; 'dev' when run from sources. */
declare const ARMML_VERSION: string | undefined;
export const AGENT_VERSION = typeof ARMML_VERSION === 'string' ? ARMML_VERSION : 'dev';

/** Generous upper bounds so a hostile or mistyped request cannot keep the agent busy for hours. */
const MAX_ITERS = 10_000;
const MAX_THREADS = 256;

interface NativeState {
  native: NativeBackend | null;
  error?: string;
}

let nativeState: NativeState | undefined;

function native(): NativeState {
  if (!nativeState) {
    try {
      nativeState = { native: loadNative() };
    } catch (e) {
      nativeState = { native: null, error: (e as Error).message };
    }
  }
  return nativeState;
}

export function hello(): HelloEvent {
  const n = native();
  return {
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    version: AGENT_VERSION,
    pid: process.pid,
    cpu: n.native?.cpuInfo() ?? null,
    variants: n.native?.variants() ?? [],
    ...(n.error ? { nativeError: n.error } : {}),
  };
}

function info(): InfoResult {
  const h = hello();
  return {
    version: h.version,
    pid: h.pid,
    node: process.version,
    cpu: h.cpu,
    variants: h.variants,
    modes: { available: [...AVAILABLE_MODES], planned: [...PLANNED_MODES] },
    ops: supportedOps().length,
    ...(h.nativeError ? { nativeError: h.nativeError } : {}),
  };
}

function count(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RequestError('bad-request', `${what} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function modelPath(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new RequestError('bad-request', 'model must be a file path');
  return path.resolve(value);
}

function checkModes(value: unknown): Mode[] {
  if (!Array.isArray(value) || value.length === 0) throw new RequestError('bad-request', 'modes must be a non-empty list');
  for (const m of value) {
    if ((PLANNED_MODES as readonly unknown[]).includes(m)) {
      throw new RequestError('bad-request', `mode '${String(m)}' is planned but not available yet (available: ${AVAILABLE_MODES.join(', ')})`);
    }
    if (!(AVAILABLE_MODES as readonly unknown[]).includes(m)) {
      throw new RequestError('bad-request', `unknown mode '${String(m)}' (available: ${AVAILABLE_MODES.join(', ')})`);
    }
  }
  return [...new Set(value as Mode[])];
}

function checkPasses(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string')) throw new RequestError('bad-request', 'disabledPasses must be a list of pass names');
  try {
    checkPassNames(value as string[]);
  } catch (e) {
    throw new RequestError('bad-request', (e as Error).message);
  }
  return value as string[];
}

export function createHandlers(): Handlers {
  return {
    info: () => info(),
    shutdown: () => {
      // Reply first, then leave: the reply is already queued on stdout when the timer fires.
      setTimeout(() => process.exit(0), 20);
      return {};
    },
    profile: async (req, ctx) => {
      const file = modelPath(req.model);
      const modes = checkModes(req.modes);
      const threadsAsked = count(req.threads, 'threads', 0, MAX_THREADS);
      const warmup = count(req.warmup, 'warmup', 0, MAX_ITERS);
      const iters = count(req.iters, 'iters', 1, MAX_ITERS);
      const disabledPasses = checkPasses(req.disabledPasses);
      const n = native();
      if (!n.native) throw new RequestError('failed', n.error ?? 'the native addon is not available');
      ctx.progress({ mode: modes[0], phase: 'load', iter: 0, of: 1 });
      const model = loadModel(file);
      const { inputs, references, label } = chooseInputs(model, file);
      const profile = await profileModel(model, {
        modes,
        threads: threadsAsked === 0 ? os.availableParallelism() : threadsAsked,
        warmup,
        iters,
        inputs,
        references,
        inputsLabel: label,
        native: n.native,
        signal: ctx.signal,
        toolVersion: AGENT_VERSION,
        disabledPasses,
        onProgress: (p) => ctx.progress(p),
      });
      return { profile };
    },
    graph: async (req) => {
      const file = modelPath(req.model);
      // The layout library is only needed by the .onnx editor: load it on first use.
      const { buildGraphView } = await import('../common/graphview.js');
      return { graph: buildGraphView(loadModel(file), req.run) };
    },
  };
}
