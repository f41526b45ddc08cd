// The supported-op list as Markdown, generated from the registry (docs/OPERATORS.md).
import { supportedOps } from './registry.js';

export function operatorsMarkdown(): string {
  const ops = supportedOps();
  const lines = [
    '# Supported operators',
    '',
    '<!-- Generated from the op registry by `npm run docs:ops`; do not edit by hand. -->',
    '',
    `${ops.length} ops. An op runs when the model's opset for its domain falls in one of the listed ranges;`,
    'any other op fails before anything runs with `op X (domain, opset N) is not supported`.',
  ];
  let category = '';
  for (const o of ops) {
    if (o.category !== category) {
      category = o.category;
      lines.push('', `## ${category}`, '', '| op | domain | opsets |', '| --- | --- | --- |');
    }
    lines.push(`| ${o.op} | ${o.domain} | ${o.opsets} |`);
  }
  return lines.join('\n') + '\n';
}
