// The agent as the extension host runs it: dist/agent.js forked with the host's runtime, spoken
// to through the host's own AgentClient.
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import { AgentClient, forkAgent } from '../extension/agent-client.js';
import { RequestError, type LogLevel } from '../common/protocol.js';
import type { ProfileDoc } from '../engine/profile.js';
import { ROOT, SHARED } from './support/paths.js';

const AGENT = path.join(ROOT, 'dist/agent.js');
const MNIST = path.join(SHARED, 'models/mnist-8/model.onnx');

interface Recorded {
  logs: { level: LogLevel; message: string }[];
  exits: { code: number | null; signal: NodeJS.Signals | null; expected: boolean }[];
}

const clients: AgentClient[] = [];

function client(spawn = () => forkAgent(AGENT), opts = {}): { agent: AgentClient; rec: Recorded } {
  const rec: Recorded = { logs: [], exits: [] };
  const agent = new AgentClient(
    spawn,
    { log: (level, message) => rec.logs.push({ level, message }), exited: (e) => rec.exits.push(e) },
    opts,
  );
  clients.push(agent);
  return { agent, rec };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeAll(() => {
  if (!fs.existsSync(AGENT)) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
});

afterEach(() => {
  for (const c of clients.splice(0)) c.dispose();
});

describe('agent process', () => {
  it('says hello, answers info, and profiles mnist-8 with progress and a valid profile', async () => {
    const { agent, rec } = client();
    const hello = await agent.ensure();
    expect(hello.protocol).toBe(1);
    expect(hello.pid).toBe(agent.pid);
    expect(hello.cpu?.isa.length).toBeGreaterThan(0);
    expect(hello.variants.some((v) => v.selected)).toBe(true);

    const info = await agent.request({ type: 'info' });
    expect(info.modes.available).toEqual(expect.arrayContaining(['baseline', 'eager']));
    expect(info.ops).toBeGreaterThan(100);

    const progress: string[] = [];
    const { profile } = await agent.request(
      { type: 'profile', model: MNIST, modes: ['baseline', 'eager'], threads: 0, warmup: 1, iters: 3 },
      (p) => progress.push(`${p.mode}:${p.phase}:${p.iter}/${p.of}`),
    );
    expect(progress).toEqual([
      'baseline:load:0/1',
      'baseline:warmup:1/1',
      'baseline:timed:1/3',
      'baseline:timed:2/3',
      'baseline:timed:3/3',
      'eager:warmup:1/1',
      'eager:timed:1/3',
      'eager:timed:2/3',
      'eager:timed:3/3',
    ]);
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema/armml.profile-1.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile<ProfileDoc>(schema);
    expect(validate(profile), JSON.stringify(validate.errors)).toBe(true);
    expect(profile.model.path).toBe(MNIST);
    expect(profile.settings.inputs).toBe('test_data_set_0');
    expect(profile.runs.map((r) => [r.mode, r.outputs_ok, r.latency_ms.n])).toEqual([
      ['baseline', true, 3],
      ['eager', true, 3],
    ]);
    expect(rec.logs.some((l) => l.message.startsWith('agent '))).toBe(true);
    expect(rec.exits).toEqual([]);
  });

  it('stops a cancelled profile within 1 s and stays usable', async () => {
    const { agent, rec } = client();
    const pid = (await agent.ensure()).pid;
    let id = -1;
    let timed = 0;
    // (id is known once the request is on its way; the host cancels through the same callback.)
    const run = agent.request(
      { type: 'profile', model: MNIST, modes: ['eager'], threads: 1, warmup: 0, iters: 10_000 },
      (p) => p.phase === 'timed' && timed++,
      (i) => (id = i),
    );
    await until(() => timed >= 5);
    const t0 = Date.now();
    const outcome = await agent.cancel(id);
    const err = await run.then(
      () => undefined,
      (e: RequestError) => e,
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(outcome).toBe('stopped');
    expect(err).toBeInstanceOf(RequestError);
    expect(err?.code).toBe('cancelled');
    expect(timed).toBeLessThan(10_000);
    // Same process, still answering.
    const info = await agent.request({ type: 'info' });
    expect(info.pid).toBe(pid);
    expect(rec.exits).toEqual([]);
  });

  it('answers a bad model path with an err naming the file', async () => {
    const { agent } = client();
    const missing = path.join(os.tmpdir(), 'armml-no-such-dir', 'missing-model.onnx');
    await expect(
      agent.request({ type: 'profile', model: missing, modes: ['eager'], threads: 1, warmup: 0, iters: 1 }),
    ).rejects.toMatchObject({
      code: 'failed',
      message: expect.stringContaining('missing-model.onnx'),
    });
    await expect(agent.request({ type: 'profile', model: MNIST, modes: ['int4'], threads: 1, warmup: 0, iters: 1 })).rejects.toMatchObject({
      code: 'bad-request',
      message: expect.stringContaining("mode 'int4' is planned"),
    });
    await expect(
      agent.request({ type: 'profile', model: MNIST, modes: ['eager'], threads: -1, warmup: 0, iters: 1 }),
    ).rejects.toMatchObject({ code: 'bad-request' });
    await expect(
      agent.request({ type: 'profile', model: MNIST, modes: ['graph'], threads: 1, warmup: 0, iters: 1, disabledPasses: ['fusion'] }),
    ).rejects.toMatchObject({
      code: 'bad-request',
      message: expect.stringContaining("unknown pass 'fusion'"),
    });
    // Still alive after errors.
    expect((await agent.request({ type: 'info' })).pid).toBe(agent.pid);
  });

  it('profiles graph mode with the passes asked to be off, off', async () => {
    const { agent } = client();
    const { profile } = await agent.request({
      type: 'profile',
      model: MNIST,
      modes: ['graph'],
      threads: 1,
      warmup: 0,
      iters: 1,
      disabledPasses: ['constant-folding'],
    });
    const [run] = profile.runs;
    expect(run.outputs_ok).toBe(true);
    expect(run.passes!.find((p) => p.pass === 'constant-folding')!.enabled).toBe(false);
    expect(run.passes!.find((p) => p.pass === 'epilogue-fusion')!.enabled).toBe(true);
  });

  it('lays out a graph for the .onnx editor', async () => {
    const { agent } = client();
    const { graph } = await agent.request({ type: 'graph', model: MNIST });
    expect(graph.nodes.filter((n) => n.kind === 'op').map((n) => n.label)).toEqual(expect.arrayContaining(['Conv', 'MaxPool']));
  });

  it('detects that the agent was killed, fails what was in flight, and restarts on next use', async () => {
    const { agent, rec } = client();
    const first = (await agent.ensure()).pid;
    const run = agent.request({ type: 'profile', model: MNIST, modes: ['eager'], threads: 1, warmup: 0, iters: 10_000 });
    await until(() => rec.logs.length > 0);
    process.kill(first, 'SIGKILL');
    await expect(run).rejects.toMatchObject({ code: 'agent-exited', message: expect.stringContaining('SIGKILL') });
    await until(() => rec.exits.length === 1);
    expect(rec.exits[0]).toMatchObject({ signal: 'SIGKILL', expected: false });
    expect(agent.state).toBe('exited');
    const info = await agent.request({ type: 'info' });
    expect(info.pid).not.toBe(first);
    expect(agent.state).toBe('ready');
  });

  it('kills an agent that does not stop within 1 s of cancel', async () => {
    // A stand-in agent that greets, then never answers: as if stuck inside a native call.
    const stuck = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'armml-stuck-')), 'agent.js');
    fs.writeFileSync(
      stuck,
      `process.stdout.write(JSON.stringify({type:'hello',protocol:1,version:'stuck',pid:process.pid,cpu:null,variants:[]})+'\\n'); process.stdin.resume();`,
    );
    try {
      const { agent, rec } = client(() => fork(stuck, [], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] }), { cancelGraceMs: 300 });
      await agent.ensure();
      let id = -1;
      const run = agent.request(
        { type: 'profile', model: MNIST, modes: ['eager'], threads: 1, warmup: 0, iters: 1 },
        undefined,
        (i) => (id = i),
      );
      run.catch(() => {});
      await until(() => id > 0);
      const t0 = Date.now();
      expect(await agent.cancel(id)).toBe('killed');
      await expect(run).rejects.toMatchObject({ code: 'agent-exited' });
      expect(Date.now() - t0).toBeLessThan(2000);
      await until(() => rec.exits.length === 1);
      expect(rec.exits[0].expected).toBe(true);
    } finally {
      fs.rmSync(path.dirname(stuck), { recursive: true, force: true });
    }
  });

  it('reports an agent that never says hello', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armml-mute-'));
    const mute = path.join(dir, 'agent.js');
    fs.writeFileSync(mute, 'setInterval(() => {}, 1000);');
    try {
      const { agent, rec } = client(() => fork(mute, [], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] }), { helloTimeoutMs: 300 });
      await expect(agent.ensure()).rejects.toMatchObject({ code: 'timeout', message: expect.stringContaining('did not start') });
      await until(() => rec.exits.length === 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
