// The profile contract (common/profile.ts) depends on nothing, and the consumers of profiles
// (common/, extension/, webview/) take its types from there, not from the engine that writes them.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/paths.js';

const sources = (dir: string): string[] =>
  fs
    .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));

describe('the profile contract', () => {
  it('common/profile.ts imports nothing', () => {
    const text = fs.readFileSync(path.join(ROOT, 'common/profile.ts'), 'utf8');
    expect(text).not.toMatch(/^\s*import\b/m);
    expect(text).not.toMatch(/\brequire\(/);
  });

  it('no consumer imports the profile or target types from the engine', () => {
    const offenders = ['common', 'extension', 'webview']
      .flatMap(sources)
      .filter((f) => /from '[./]*engine\/(profile|native|stats)\.js'/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
