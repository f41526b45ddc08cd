// Activation timing, written where the e2e test and the benchmark can read it (no `vscode` here).
//
// Where: <globalStorage>/activation.json, i.e. on Linux
//   ~/.config/Code/User/globalStorage/arm-ml-profiler.arm-ml-profiler/activation.json
// (under --user-data-dir DIR: DIR/User/globalStorage/arm-ml-profiler.arm-ml-profiler/activation.json),
// and additionally the file named by the ARMML_ACTIVATION_FILE environment variable when set.
// The same numbers are printed to the "Arm ML Profiler" output channel.
import fs from 'node:fs/promises';
import path from 'node:path';

export interface ActivationRecord {
  /** When activation finished (ISO time). */
  time: string;
  extensionVersion: string;
  vscodeVersion: string;
  /** Evaluating dist/extension.js: from its first line to the end of its top level. */
  moduleLoadMs: number;
  /** activate() from its first line to its return. */
  activateMs: number;
  /** moduleLoadMs + activateMs. */
  totalMs: number;
}

export const ACTIVATION_FILE = 'activation.json';
const HISTORY = 20;

export function activationSummary(r: ActivationRecord): string {
  return `activated in ${r.activateMs.toFixed(1)} ms (module load ${r.moduleLoadMs.toFixed(1)} ms, total ${r.totalMs.toFixed(1)} ms)`;
}

/** Writes the record (plus a short history of earlier activations) to each of the given files. */
export async function writeActivationRecord(files: string[], record: ActivationRecord): Promise<void> {
  for (const file of files) {
    let history: ActivationRecord[] = [];
    try {
      const old = JSON.parse(await fs.readFile(file, 'utf8')) as { history?: ActivationRecord[] };
      if (Array.isArray(old.history)) history = old.history.slice(-(HISTORY - 1));
    } catch {
      // First activation, or an unreadable file: start a new history.
    }
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, JSON.stringify({ ...record, history: [...history, record] }, null, 1));
  }
}
