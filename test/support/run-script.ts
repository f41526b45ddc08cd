// Runs a shell script of the project's without blocking the test worker.
import { execFile } from 'node:child_process';

export interface ScriptResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

// Asynchronous, so the worker keeps answering vitest while the script runs for minutes (a
// blocking spawnSync that long makes vitest report "Timeout calling onTaskUpdate").
export function runScript(script: string, timeout: number): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile('bash', [script], { encoding: 'utf8', timeout, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error && typeof error.code === 'number' ? error.code : error ? null : 0;
      resolve({ status: code, stdout, stderr: stderr + (error && code === null ? `\n${error.message}` : '') });
    });
  });
}
