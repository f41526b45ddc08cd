// Starts and supervises the agent process and talks to it (no `vscode` here: tested with plain Node).
import { fork, type ChildProcess } from 'node:child_process';
import {
  encodeMessage,
  LineSplitter,
  parseMessage,
  PROTOCOL_VERSION,
  RequestClient,
  RequestError,
  type FromAgent,
  type HelloEvent,
  type LogLevel,
  type ProgressEvent,
  type RequestBody,
  type RequestType,
  type ResultOf,
} from '../common/protocol.js';

export interface AgentEvents {
  log(level: LogLevel, message: string): void;
  hello?(hello: HelloEvent): void;
  /** The process ended; `expected` when we stopped it (dispose, restart, cancel timeout). */
  exited?(info: { code: number | null; signal: NodeJS.Signals | null; expected: boolean }): void;
}

/**
 * Runs dist/agent.js with the host's own runtime: inside VS Code that is Electron, which behaves
 * as plain Node with ELECTRON_RUN_AS_NODE. The inherited execArgv is dropped so a debugged
 * extension host does not hand its inspector port to the child.
 */
export function forkAgent(agentJs: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  return fork(agentJs, [], {
    execPath: process.execPath,
    execArgv: [],
    env: { ...process.env, ...env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
  });
}

export type AgentState = 'stopped' | 'starting' | 'ready' | 'exited';

export interface AgentClientOptions {
  /** How long to wait for `hello` after starting. */
  helloTimeoutMs?: number;
  /** After `cancel`, how long the request may take to wind down before the process is killed. */
  cancelGraceMs?: number;
}

export class AgentClient {
  private child: ChildProcess | undefined;
  private rpc: RequestClient | undefined;
  private starting: Promise<HelloEvent> | undefined;
  private stopping = new WeakSet<ChildProcess>();
  private readonly settled = new Map<number, Promise<void>>();
  private _state: AgentState = 'stopped';
  private _hello: HelloEvent | undefined;
  private readonly helloTimeoutMs: number;
  private readonly cancelGraceMs: number;

  constructor(
    private readonly spawn: () => ChildProcess,
    private readonly events: AgentEvents,
    opts: AgentClientOptions = {},
  ) {
    this.helloTimeoutMs = opts.helloTimeoutMs ?? 20_000;
    this.cancelGraceMs = opts.cancelGraceMs ?? 1000;
  }

  get state(): AgentState {
    return this._state;
  }

  get hello(): HelloEvent | undefined {
    return this._hello;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the agent unless it is running; after it exited, this starts a new one. */
  ensure(): Promise<HelloEvent> {
    if (this._state === 'ready' && this._hello) return Promise.resolve(this._hello);
    if (this.starting) return this.starting;
    this.starting = this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private start(): Promise<HelloEvent> {
    this._state = 'starting';
    this._hello = undefined;
    const child = this.spawn();
    this.child = child;
    const rpc = new RequestClient(
      (msg) => {
        if (!child.stdin?.writable) throw new Error('the agent is not running');
        child.stdin.write(encodeMessage(msg));
      },
      (msg) => this.events.log('warn', `agent sent a message nobody waits for: ${JSON.stringify(msg).slice(0, 200)}`),
    );
    this.rpc = rpc;
    return new Promise<HelloEvent>((resolve, reject) => {
      let greeted = false;
      const timer = setTimeout(() => {
        if (greeted) return;
        reject(new RequestError('timeout', `the agent did not start within ${this.helloTimeoutMs / 1000} s`));
        this.kill(child);
      }, this.helloTimeoutMs);
      const onMessage = (msg: FromAgent) => {
        if (msg.type === 'hello') {
          if (msg.protocol !== PROTOCOL_VERSION) {
            this.events.log('error', `agent speaks protocol ${msg.protocol}, this extension speaks ${PROTOCOL_VERSION}`);
          }
          greeted = true;
          clearTimeout(timer);
          this._hello = msg;
          if (this.child === child) this._state = 'ready';
          this.events.hello?.(msg);
          resolve(msg);
        } else if (msg.type === 'log') {
          this.events.log(msg.level, msg.message);
        } else {
          rpc.handle(msg);
        }
      };
      child.stdout?.setEncoding('utf8');
      const lines = new LineSplitter((line) => {
        const parsed = parseMessage(line);
        if (parsed.ok) onMessage(parsed.msg as unknown as FromAgent);
        else this.events.log('warn', `agent stdout: ${parsed.reason}`);
      });
      child.stdout?.on('data', (chunk: string) => lines.push(chunk));
      child.stderr?.setEncoding('utf8');
      const errLines = new LineSplitter((line) => this.events.log('info', `[agent stderr] ${line}`));
      child.stderr?.on('data', (chunk: string) => errLines.push(chunk));
      child.stdin?.on('error', (e) => this.events.log('warn', `agent stdin: ${e.message}`));
      child.on('error', (e) => {
        this.events.log('error', `agent process: ${e.message}`);
        if (!greeted) {
          clearTimeout(timer);
          reject(new RequestError('agent-exited', `the agent could not be started: ${e.message}`));
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        const expected = this.stopping.has(child);
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        rpc.failAll('agent-exited', `the agent ${expected ? 'was stopped' : 'exited unexpectedly'} (${how})`);
        if (!greeted) reject(new RequestError('agent-exited', `the agent exited before it was ready (${how})`));
        if (this.child === child) {
          this.child = undefined;
          this.rpc = undefined;
          this._state = 'exited';
        }
        this.events.log(expected ? 'info' : 'error', `agent pid ${child.pid} ended (${how})`);
        this.events.exited?.({ code, signal, expected });
      });
    });
  }

  /** Sends a request to the running agent (starting it first if needed). */
  async request<T extends Exclude<RequestType, 'cancel'>>(
    body: RequestBody<T>,
    onProgress?: (p: ProgressEvent) => void,
    onId?: (id: number) => void,
  ): Promise<ResultOf[T]> {
    await this.ensure();
    const rpc = this.rpc;
    if (!rpc) throw new RequestError('agent-exited', 'the agent is not running');
    const { id, result } = rpc.request(body, onProgress);
    this.settled.set(
      id,
      result.then(
        () => {},
        () => {},
      ),
    );
    void result.finally(() => this.settled.delete(id)).catch(() => {});
    onId?.(id);
    return result;
  }

  /**
   * Asks the agent to stop request `id`. If the request has not ended within the grace period
   * (the agent may be stuck inside a native call), the process is killed; it restarts on next use.
   */
  async cancel(id: number): Promise<'stopped' | 'killed' | 'not-running'> {
    const done = this.settled.get(id);
    const rpc = this.rpc;
    const child = this.child;
    if (!done || !rpc || !child) return 'not-running';
    rpc.request({ type: 'cancel', target: id }).result.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), this.cancelGraceMs)));
    const late = await Promise.race([done.then(() => false), timedOut]);
    clearTimeout(timer);
    if (!late) return 'stopped';
    this.events.log('warn', `the agent did not stop within ${this.cancelGraceMs} ms of cancel; killing pid ${child.pid}`);
    this.kill(child);
    return 'killed';
  }

  /** Stops the agent now (it restarts on next use). */
  restart(): Promise<HelloEvent> {
    if (this.child) this.kill(this.child);
    this._state = 'stopped';
    this.child = undefined;
    this.rpc = undefined;
    return this.ensure();
  }

  private kill(child: ChildProcess): void {
    this.stopping.add(child);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** Closes the agent's stdin (it exits by itself) and kills it if it lingers. */
  dispose(): void {
    const child = this.child;
    if (!child) return;
    this.stopping.add(child);
    child.stdin?.end();
    const timer = setTimeout(() => this.kill(child), 500);
    timer.unref();
    child.once('exit', () => clearTimeout(timer));
  }
}
