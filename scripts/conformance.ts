// Usage: npx tsx scripts/conformance.ts [--folder onnx-node] [--op Relu,Add] [--mode eager|baseline] [--all]
// Prints pass/fail per supported case and a summary; --all also lists unsupported cases.
import path from 'node:path';
import { runFolder, type CaseResult } from '../engine/testdata/suite.js';
import type { Mode } from '../engine/ops/types.js';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const folder = path.resolve(__dirname, '../../shared/testdata', opt('--folder') ?? 'onnx-node');
const ops = opt('--op')?.split(',');
const match = opt('--match');
const mode = (opt('--mode') ?? 'eager') as Mode;
const results: CaseResult[] = runFolder(folder, {
  mode,
  filter: (r) => (!ops || ops.includes(r.op_type)) && (!match || r.case.includes(match)),
});
const by = (s: string) => results.filter((r) => r.status === s);
for (const r of results) {
  if (r.status === 'fail') console.log(`FAIL ${r.name} [${r.op}]: ${r.reason}`);
  else if (r.status === 'unsupported' && args.includes('--all')) console.log(`UNSUPPORTED ${r.name}: ${r.reason}`);
  else if (r.status === 'pass' && args.includes('--verbose')) console.log(`pass ${r.name}`);
}
const pass = by('pass').length;
const fail = by('fail').length;
console.log(`\n${path.basename(folder)}: ${pass} pass, ${fail} fail, ${by('unsupported').length} unsupported, ${by('skipped').length} skipped; pass rate of supported ${((100 * pass) / Math.max(1, pass + fail)).toFixed(1)}%`);
