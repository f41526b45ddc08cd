import { describe, it, expect } from 'vitest';
import {
  encodeMessage,
  LineSplitter,
  RequestClient,
  RequestError,
  RequestServer,
  type FromAgent,
  type Handlers,
  type LogLevel,
  type ToAgent,
} from '../common/protocol.js';

/** A client and a server joined back to back through JSON lines, as over the agent's stdio. */
function pair(handlers: Partial<Handlers>) {
  const logs: { level: LogLevel; message: string }[] = [];
  const unmatched: unknown[] = [];
  const fromServer: FromAgent[] = [];
  const sentLines: string[] = [];
  const client = new RequestClient(
    (msg: ToAgent) => {
      const line = encodeMessage(msg);
      sentLines.push(line);
      void server.handleLine(line.trimEnd());
    },
    (msg) => unmatched.push(msg),
  );
  const server: RequestServer = new RequestServer(
    (msg) => {
      fromServer.push(msg);
      // Replies travel as text too, so the test sees what a real peer would.
      client.handle(JSON.parse(encodeMessage(msg)) as FromAgent);
    },
    handlers as Handlers,
    (level, message) => logs.push({ level, message }),
  );
  return { client, server, logs, unmatched, fromServer, sentLines };
}

const emptyInfo = { version: 't', pid: 1, node: 'v', cpu: null, variants: [], modes: { available: [], planned: [] }, ops: 0 };

describe('request/response pairing', () => {
  it('pairs replies with their requests by id, even when they finish out of order', async () => {
    let releaseSlow: () => void = () => {};
    const { client } = pair({
      graph: async (req) => {
        if (req.model === 'slow') await new Promise<void>((r) => (releaseSlow = r));
        return { graph: { model: req.model } as never };
      },
    });
    const slow = client.request({ type: 'graph', model: 'slow' });
    const fast = client.request({ type: 'graph', model: 'fast' });
    expect(slow.id).not.toBe(fast.id);
    expect(((await fast.result).graph as unknown as { model: string }).model).toBe('fast');
    expect(client.inFlight).toBe(1);
    releaseSlow();
    expect(((await slow.result).graph as unknown as { model: string }).model).toBe('slow');
    expect(client.inFlight).toBe(0);
  });

  it('answers with err when a handler throws, naming the error', async () => {
    const { client, fromServer } = pair({
      info: () => {
        throw new Error('boom: no CPU');
      },
    });
    const { id, result } = client.request({ type: 'info' });
    await expect(result).rejects.toMatchObject({ code: 'failed', message: 'boom: no CPU' });
    expect(fromServer).toContainEqual({ type: 'err', id, code: 'failed', message: 'boom: no CPU' });
  });

  it('keeps a RequestError code', async () => {
    const { client } = pair({
      info: () => {
        throw new RequestError('bad-request', 'threads must be an integer');
      },
    });
    await expect(client.request({ type: 'info' }).result).rejects.toMatchObject({ code: 'bad-request' });
  });

  it('logs unknown message types and still replies with err', async () => {
    const { server, logs, fromServer } = pair({ info: () => emptyInfo });
    await server.handleLine(JSON.stringify({ type: 'frobnicate', id: 7 }));
    expect(logs.some((l) => l.level === 'warn' && l.message.includes("unknown message type 'frobnicate'"))).toBe(true);
    expect(fromServer).toEqual([{ type: 'err', id: 7, code: 'unknown-type', message: "unknown message type 'frobnicate'" }]);
  });

  it('does not treat Object.prototype names as handlers', async () => {
    const { server, fromServer } = pair({ info: () => emptyInfo });
    await server.handleLine(JSON.stringify({ type: 'toString', id: 8 }));
    expect(fromServer[0]).toMatchObject({ type: 'err', id: 8, code: 'unknown-type' });
  });

  it('logs lines that are not messages without replying', async () => {
    const { server, logs, fromServer } = pair({ info: () => emptyInfo });
    await server.handleLine('{not json');
    await server.handleLine('[1,2]');
    await server.handleLine(JSON.stringify({ type: 'info' }));
    expect(fromServer).toEqual([]);
    expect(logs.map((l) => l.message)).toEqual([expect.stringContaining('not JSON'), expect.stringContaining('string "type"'), expect.stringContaining('without an integer id')]);
  });

  it('routes progress to the request it names and cancels through the signal', async () => {
    const { client } = pair({
      profile: async (req, ctx) => {
        for (let i = 1; ; i++) {
          ctx.progress({ mode: 'eager', phase: 'timed', iter: i, of: 1000 });
          await new Promise((r) => setTimeout(r, 1));
          if (ctx.signal.aborted) throw new Error('the run was cancelled');
        }
      },
    });
    const seen: number[] = [];
    const run = client.request({ type: 'profile', model: 'm', modes: ['eager'], threads: 1, warmup: 0, iters: 1000 }, (p) => seen.push(p.iter));
    while (seen.length < 3) await new Promise((r) => setTimeout(r, 1));
    const cancel = client.request({ type: 'cancel', target: run.id });
    expect(await cancel.result).toEqual({ cancelled: true });
    await expect(run.result).rejects.toMatchObject({ code: 'cancelled' });
    expect(seen.slice(0, 3)).toEqual([1, 2, 3]);
    // Cancelling something that is not running says so.
    expect(await client.request({ type: 'cancel', target: 999 }).result).toEqual({ cancelled: false });
  });

  it('reports replies nobody waits for, and fails everything in flight when the peer goes away', async () => {
    const unmatched: unknown[] = [];
    const client = new RequestClient(() => {}, (m) => unmatched.push(m));
    expect(client.handle({ type: 'ok', id: 42, result: {} } as FromAgent)).toBe(false);
    expect(unmatched).toHaveLength(1);
    const a = client.request({ type: 'info' });
    client.failAll('agent-exited', 'the agent exited unexpectedly (signal SIGKILL)');
    await expect(a.result).rejects.toMatchObject({ code: 'agent-exited', message: expect.stringContaining('SIGKILL') });
  });

  it('rejects at once when the request cannot be sent', async () => {
    const client = new RequestClient(() => {
      throw new Error('EPIPE');
    });
    await expect(client.request({ type: 'info' }).result).rejects.toMatchObject({ code: 'agent-exited', message: expect.stringContaining('EPIPE') });
    expect(client.inFlight).toBe(0);
  });
});

describe('LineSplitter', () => {
  it('reassembles lines split across chunks and skips blank ones', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push('{"a":');
    s.push('1}\n\n{"b"');
    s.push(':2}\n{"c":3}');
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
    s.push('\n');
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('drops an endless line instead of growing without bound', () => {
    const lines: string[] = [];
    let dropped = 0;
    const s = new LineSplitter((l) => lines.push(l), 10, (n) => (dropped = n));
    s.push('x'.repeat(25));
    s.push('y\n{"ok":1}\n');
    expect(dropped).toBe(25);
    expect(lines).toEqual(['y', '{"ok":1}']);
  });
});
