// The one message protocol shared by the extension host, the agent and the webviews.
//
// Host <-> agent: JSON lines over the agent's stdin/stdout (one message per line; the agent's
// stdout carries nothing else). Every request carries an `id` chosen by the host and is answered
// by exactly one `ok` or `err` reply with the same id, even when the handler throws; `progress`
// events name the request they belong to. `hello` and `log` are unsolicited.
//
// Host <-> webview: plain objects through postMessage (ToWebview / FromWebview below).
//
// This file only imports types, so every bundle (node, browser) can include it at no cost.
import type { ModeRun, ProfileDoc } from './profile.js';
import type { CpuInfo, KernelVariantInfo } from './profile.js';
import type { GraphView } from './graphview.js';

/** Bumped when a message changes incompatibly; the host refuses an agent that speaks another. */
export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------- host -> agent (requests)

export interface InfoRequest {
  type: 'info';
  id: number;
}

export interface ProfileRequest {
  type: 'profile';
  id: number;
  /** Absolute path of the .onnx file, as seen by the agent. */
  model: string;
  modes: string[];
  /** 0 means all cores. */
  threads: number;
  warmup: number;
  iters: number;
  /** Graph-compiler passes to turn off in graph mode (`armml profile --passes` lists them). */
  disabledPasses?: string[];
}

/** Cancels the request with this id (a running profile); answered by that request's `err`. */
export interface CancelRequest {
  type: 'cancel';
  id: number;
  target: number;
}

/** Lays out a model's graph for the `.onnx` editor, optionally heat-coloured by one profile run. */
export interface GraphRequest {
  type: 'graph';
  id: number;
  model: string;
  run?: ModeRun;
}

export interface ShutdownRequest {
  type: 'shutdown';
  id: number;
}

export type ToAgent = InfoRequest | ProfileRequest | CancelRequest | GraphRequest | ShutdownRequest;
export type RequestType = ToAgent['type'];
export type RequestOf<T extends RequestType> = Extract<ToAgent, { type: T }>;
/** A request before the client numbers it. */
export type RequestBody<T extends RequestType> = Omit<RequestOf<T>, 'id'> & { type: T };

export interface InfoResult {
  version: string;
  pid: number;
  node: string;
  cpu: CpuInfo | null;
  variants: KernelVariantInfo[];
  modes: { available: string[]; planned: string[] };
  ops: number;
  /** Why the native addon could not be loaded, when it could not. */
  nativeError?: string;
}

export interface ResultOf {
  info: InfoResult;
  profile: { profile: ProfileDoc };
  cancel: { cancelled: boolean };
  graph: { graph: GraphView };
  shutdown: Record<string, never>;
}

// ---------------------------------------------------------------- agent -> host

export interface HelloEvent {
  type: 'hello';
  protocol: number;
  version: string;
  pid: number;
  cpu: CpuInfo | null;
  variants: KernelVariantInfo[];
  nativeError?: string;
}

export interface ProgressEvent {
  type: 'progress';
  /** The request this progress belongs to. */
  id: number;
  mode: string;
  phase: 'load' | 'warmup' | 'timed';
  iter: number;
  of: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEvent {
  type: 'log';
  level: LogLevel;
  message: string;
}

export interface OkReply<T extends RequestType = RequestType> {
  type: 'ok';
  id: number;
  result: ResultOf[T];
}

export type ErrorCode = 'cancelled' | 'bad-request' | 'unknown-type' | 'failed' | 'agent-exited' | 'timeout';

export interface ErrReply {
  type: 'err';
  id: number;
  code: ErrorCode;
  message: string;
}

export type FromAgent = HelloEvent | ProgressEvent | LogEvent | OkReply | ErrReply;

// ---------------------------------------------------------------- host <-> webview

export type WebviewView = 'stack' | 'speedups' | 'ops' | 'timeline' | 'roofline';

export type ToWebview =
  /**
   * The profiles (ProfileDoc[], oldest first) as UTF-8 JSON. Bytes cross VS Code's webview
   * channel as one buffer, where an array of objects would be serialized and cloned field by field
   * at each hop: for a 10k-op profile that is most of the time to first paint.
   */
  | { type: 'profiles'; json: Uint8Array }
  | { type: 'show'; view: WebviewView }
  | { type: 'graph'; graph: GraphView };

export type FromWebview =
  | { type: 'ready' }
  | { type: 'graphReady' }
  | { type: 'graphNodeSelected'; node: string }
  | { type: 'openSource'; file: string; line?: number };

// ---------------------------------------------------------------- framing

export function encodeMessage(msg: ToAgent | FromAgent): string {
  return `${JSON.stringify(msg)}\n`;
}

/** Splits a byte stream into lines; a partial line waits for the rest of it. */
export class LineSplitter {
  private pending = '';
  /** Lines longer than this are dropped (with a report) so a runaway peer cannot exhaust memory. */
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLine = 512 * 1024 * 1024,
    private readonly onOverflow: (bytes: number) => void = () => {},
  ) {}

  push(chunk: string | Buffer): void {
    const text = this.pending + chunk.toString();
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    if (this.pending.length > this.maxLine) {
      this.onOverflow(this.pending.length);
      this.pending = '';
    }
    for (const line of lines) if (line.trim() !== '') this.onLine(line);
  }
}

/** Parses one line into a message with a string `type`, or explains why it is not one. */
export function parseMessage(line: string): { ok: true; msg: { type: string; id?: unknown } & Record<string, unknown> } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { ok: false, reason: `not JSON (${(e as Error).message}): ${line.slice(0, 120)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') {
    return { ok: false, reason: `not a message object with a string "type": ${line.slice(0, 120)}` };
  }
  return { ok: true, msg: value as { type: string } & Record<string, unknown> };
}

// ---------------------------------------------------------------- requests and replies

export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

interface Pending {
  type: RequestType;
  resolve: (value: never) => void;
  reject: (e: RequestError) => void;
  onProgress?: (p: ProgressEvent) => void;
}

/** The host's side: numbers requests, pairs replies with them, routes progress. */
export class RequestClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly send: (msg: ToAgent) => void,
    private readonly onUnmatched: (msg: FromAgent | { type: string }) => void = () => {},
  ) {}

  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends a request; `id` is known at once so the caller can cancel it. */
  request<T extends RequestType>(body: RequestBody<T>, onProgress?: (p: ProgressEvent) => void): { id: number; result: Promise<ResultOf[T]> } {
    const id = this.nextId++;
    const result = new Promise<ResultOf[T]>((resolve, reject) => {
      this.pending.set(id, { type: body.type, resolve: resolve as (v: never) => void, reject, onProgress });
    });
    try {
      this.send({ ...body, id } as ToAgent);
    } catch (e) {
      this.settle(id, (p) => p.reject(new RequestError('agent-exited', `could not send '${body.type}': ${(e as Error).message}`)));
    }
    return { id, result };
  }

  /** Feeds one message from the agent; returns false when it matched no pending request. */
  handle(msg: FromAgent | { type: string }): boolean {
    const m = msg as FromAgent;
    if (m.type === 'ok') return this.settle(m.id, (p) => p.resolve(m.result as never));
    if (m.type === 'err') return this.settle(m.id, (p) => p.reject(new RequestError(m.code ?? 'failed', m.message)));
    if (m.type === 'progress') {
      const p = this.pending.get(m.id);
      if (p) {
        p.onProgress?.(m);
        return true;
      }
    }
    this.onUnmatched(msg);
    return false;
  }

  /** Rejects everything in flight (the agent exited or was killed). */
  failAll(code: ErrorCode, message: string): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(new RequestError(code, message));
  }

  private settle(id: number, f: (p: Pending) => void): boolean {
    const p = this.pending.get(id);
    if (!p) {
      this.onUnmatched({ type: 'unmatched-reply', id } as { type: string });
      return false;
    }
    this.pending.delete(id);
    f(p);
    return true;
  }
}

export interface HandlerContext {
  id: number;
  /** Aborted by a `cancel` naming this request. */
  signal: AbortSignal;
  progress(p: Omit<ProgressEvent, 'type' | 'id'>): void;
}

export type Handlers = {
  [T in Exclude<RequestType, 'cancel'>]: (req: RequestOf<T>, ctx: HandlerContext) => Promise<ResultOf[T]> | ResultOf[T];
};

/**
 * The agent's side: parses lines, dispatches to handlers, and answers every request exactly once
 * with `ok` or `err` -- also when the handler throws, the message is malformed, or its type is
 * unknown. Cancellation is built in: `cancel` aborts the target's signal.
 */
export class RequestServer {
  private readonly running = new Map<number, AbortController>();

  constructor(
    private readonly send: (msg: FromAgent) => void,
    private readonly handlers: Handlers,
    private readonly log: (level: LogLevel, message: string) => void,
  ) {}

  get busy(): number {
    return this.running.size;
  }

  /** Handles one line; resolves when its reply has been sent. */
  async handleLine(line: string): Promise<void> {
    const parsed = parseMessage(line);
    if (!parsed.ok) {
      this.log('warn', `ignored a line that is not a message: ${parsed.reason}`);
      return;
    }
    const msg = parsed.msg;
    const id = msg.id;
    if (typeof id !== 'number' || !Number.isInteger(id)) {
      this.log('warn', `ignored a '${msg.type}' message without an integer id`);
      return;
    }
    if (msg.type === 'cancel') {
      const target = this.running.get(msg.target as number);
      target?.abort();
      this.send({ type: 'ok', id, result: { cancelled: target !== undefined } } as OkReply);
      return;
    }
    const handler = (this.handlers as Record<string, ((req: unknown, ctx: HandlerContext) => unknown) | undefined>)[msg.type];
    if (!handler || !Object.prototype.hasOwnProperty.call(this.handlers, msg.type)) {
      this.log('warn', `unknown message type '${msg.type}' (id ${id})`);
      this.send({ type: 'err', id, code: 'unknown-type', message: `unknown message type '${msg.type}'` });
      return;
    }
    if (this.running.has(id)) {
      this.send({ type: 'err', id, code: 'bad-request', message: `request id ${id} is already in use` });
      return;
    }
    const ac = new AbortController();
    this.running.set(id, ac);
    const ctx: HandlerContext = {
      id,
      signal: ac.signal,
      progress: (p) => this.send({ type: 'progress', id, ...p }),
    };
    try {
      const result = await handler(msg, ctx);
      this.send({ type: 'ok', id, result } as OkReply);
    } catch (e) {
      const code: ErrorCode = ac.signal.aborted ? 'cancelled' : e instanceof RequestError ? e.code : 'failed';
      const message = ac.signal.aborted ? 'cancelled' : e instanceof Error ? e.message : String(e);
      this.send({ type: 'err', id, code, message });
    } finally {
      this.running.delete(id);
    }
  }
}
