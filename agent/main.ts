// The agent: speaks common/protocol.ts as JSON lines on stdin/stdout and drives the engine.
// Runs as a child process of the extension host (so a native crash never takes the host down),
// and later the same bundle runs on remote machines. stdout carries protocol lines only; anything
// else anyone prints goes to stderr or becomes a `log` event.
import { encodeMessage, LineSplitter, RequestServer, type FromAgent, type LogLevel } from '../common/protocol.js';
import { createHandlers, hello } from './service.js';

function send(msg: FromAgent): void {
  process.stdout.write(encodeMessage(msg));
}

function log(level: LogLevel, message: string): void {
  send({ type: 'log', level, message });
}

// Engine code (or a dependency) printing with console.log must not corrupt the protocol stream.
const format = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.stack ?? a.message : JSON.stringify(a))).join(' ');
console.log = (...args: unknown[]) => log('info', format(args));
console.info = console.log;
console.debug = (...args: unknown[]) => log('debug', format(args));
console.warn = (...args: unknown[]) => log('warn', format(args));

const server = new RequestServer(send, createHandlers(), log);
const splitter = new LineSplitter(
  (line) => void server.handleLine(line),
  512 * 1024 * 1024,
  (bytes) => log('error', `dropped an incoming line of ${bytes} bytes without a newline`),
);

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => splitter.push(chunk));
// The host closed our stdin (it exited or let go of us): nothing more will come.
process.stdin.on('end', () => process.exit(0));
process.stdout.on('error', () => process.exit(0));
process.on('uncaughtException', (e) => {
  process.stderr.write(`armml agent: uncaught ${e.stack ?? e.message}\n`);
  log('error', `uncaught exception: ${e.message}`);
});
process.on('unhandledRejection', (e) => log('error', `unhandled rejection: ${e instanceof Error ? e.message : String(e)}`));

const h = hello();
send(h);
log('info', `agent ${h.version} pid ${process.pid} on ${h.cpu?.name ?? 'unknown CPU'} (${process.version}, ${process.arch})`);
if (h.nativeError) log('error', h.nativeError);
