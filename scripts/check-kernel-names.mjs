#!/usr/bin/env node
// Checks that every kernel file in native/kernels/*.cc and every entry of the variant table in
// native/src/variants.cc follows the naming grammar of native/kernels/README.md, that each table
// entry has its file, and that the table's ISA column agrees with the name.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ISAS = ['scalar', 'portable', 'avx2', 'avx512', 'neon', 'sve', 'sve2', 'sme'];
const FEATURES = ['fma', 'dotprod', 'i8mm', 'bf16', 'fp16', 'vnni', 'ref'];
export const GRAMMAR = new RegExp(
  `^(?<op>[a-z][a-z0-9]*)_(?<dtype>f32|f16|bf16|i8|u8|q[a-z0-9]+)(?:_(?<rhs>q[a-z0-9]+))?` +
    `_(?<tile>\\d+x\\d+(?:vl|(?:x\\d+)?))_(?<isa>${ISAS.join('|')})(?<features>(?:_(?:${FEATURES.join('|')}))*)$`,
);
// Scalable-vector ISAs: only their kernels may size a tile in vector lengths (`<rows>x<k>vl`).
const SCALABLE = ['sve', 'sve2', 'sme'];

export function checkName(name) {
  const m = GRAMMAR.exec(name);
  if (!m) return `'${name}' does not match <op>_<dtype>[_<rhs format>]_<tile>_<isa>[_<feature>]`;
  if (m.groups.tile.endsWith('vl') && !SCALABLE.includes(m.groups.isa))
    return `'${name}' sizes its tile in vector lengths (vl) but '${m.groups.isa}' has fixed-length vectors`;
  return null;
}

const problems = [];
const files = fs
  .readdirSync(path.join(root, 'native/kernels'))
  .filter((f) => f.endsWith('.cc'))
  .map((f) => f.slice(0, -3));
for (const f of files) {
  const p = checkName(f);
  if (p) problems.push(`file native/kernels/${f}.cc: ${p}`);
}

const table = fs.readFileSync(path.join(root, 'native/src/variants.cc'), 'utf8');
const entries = [...table.matchAll(/push_back\((?:\{|q\()"([^"]+)",\s*"([^"]+)",\s*"([^"]+)"/g)].map((m) => ({ name: m[1], family: m[2], isa: m[3] }));
if (entries.length === 0) problems.push('no variant table entries found in native/src/variants.cc');
for (const e of entries) {
  const p = checkName(e.name);
  if (p) {
    problems.push(`table entry: ${p}`);
    continue;
  }
  if (!files.includes(e.name)) problems.push(`table entry '${e.name}' has no file native/kernels/${e.name}.cc`);
  const isa = GRAMMAR.exec(e.name).groups.isa;
  if (!e.isa.startsWith(isa)) problems.push(`table entry '${e.name}' declares isa '${e.isa}' but its name says '${isa}'`);
  const op = GRAMMAR.exec(e.name).groups.op;
  if (!e.family.startsWith(op)) problems.push(`table entry '${e.name}' is in family '${e.family}', which its name does not start`);
}
for (const f of files) {
  if (!entries.some((e) => e.name === f)) problems.push(`file native/kernels/${f}.cc is not in the variant table`);
}

if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`kernel names ok: ${files.length} files, ${entries.length} table entries`);
