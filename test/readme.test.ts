// The README starts with exactly the two set-up commands, and CI runs the second one verbatim.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/paths.js';

describe('README set-up commands', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([^`]+?)\n```/g)].map((m) => m[1].trim());

  it('come first, one command each', () => {
    expect(readme.indexOf('```sh')).toBeLessThan(readme.indexOf('\n## '));
    expect(blocks[0]).toMatch(/npm ci && npm run main$/);
    expect(blocks[1]).toMatch(/npm ci && npm test$/);
    for (const b of blocks.slice(0, 2)) expect(b.split('\n')).toHaveLength(1);
  });

  it('.ci/run runs the second one exactly', () => {
    const ci = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
    expect(ci.split('\n')).toContain(blocks[1]);
  });
});
