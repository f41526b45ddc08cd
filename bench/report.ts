// Writes one benchmark's result into its own section of BENCHMARKS.md, with command, machine and date.
import fs from 'node:fs';

export function replaceSection(file: string, id: string, command: string, machine: string, body: string): void {
  const begin = `<!-- bench:${id}:begin -->`;
  const end = `<!-- bench:${id}:end -->`;
  const block = [
    begin,
    '',
    `Command: \`${command}\`  `,
    `Machine: ${machine}  `,
    `Date: ${new Date().toISOString().slice(0, 10)}`,
    '',
    body,
    '',
    end,
  ].join('\n');
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(file, next);
}
