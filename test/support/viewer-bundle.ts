// The profile viewer bundle (webview.js + webview.css) built from the current sources, with the
// options scripts/build.mjs ships it with, so browser tests and benchmarks need no prior build.
import path from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './paths.js';

export async function buildViewer(dir: string): Promise<void> {
  await build({
    entryPoints: [path.join(ROOT, 'webview/profile/main.ts')],
    outfile: path.join(dir, 'webview.js'),
    bundle: true,
    platform: 'browser',
    target: 'es2020',
    format: 'iife',
    minify: true,
    logLevel: 'silent',
  });
}
