// Bundles what ships: the CLI (and, as they land, agent, extension and webview).
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, external: ['node-gyp-build'], logLevel: 'warning' };

await build({ ...common, entryPoints: ['cli/armml.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } });

// The .onnx graph view runs in a webview: a browser bundle of its own (dist/graph.js + dist/graph.css).
await build({
  entryPoints: ['webview/graph/main.ts'],
  outfile: 'dist/graph.js',
  bundle: true,
  platform: 'browser',
  target: 'chrome120',
  format: 'iife',
  sourcemap: true,
  logLevel: 'warning',
});

// The profile viewer (VS Code results panel and the standalone `--html` report): dist/webview.js +
// dist/webview.css. The report inlines both, so they are minified.
await build({
  entryPoints: ['webview/profile/main.ts'],
  outfile: 'dist/webview.js',
  bundle: true,
  platform: 'browser',
  target: 'es2020',
  format: 'iife',
  minify: true,
  sourcemap: 'external',
  legalComments: 'none',
  logLevel: 'warning',
});

// The agent and the extension host ship without node_modules: node-gyp-build is bundled into them
// (it finds build/Release/armml.node from the package root) and 'vscode' is provided by the host.
// The host is split in two so activation loads only the small entry; dist/host.js is required on
// first use of a command or editor.
const { version } = JSON.parse((await import('node:fs')).readFileSync('package.json', 'utf8'));
const shipped = { ...common, external: ['vscode'], define: { ARMML_VERSION: JSON.stringify(version) }, minifySyntax: true };
await build({ ...shipped, entryPoints: ['agent/main.ts'], outfile: 'dist/agent.js' });
await build({ ...shipped, entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js', banner: { js: 'var __armmlLoadStart = performance.now();' } });
await build({ ...shipped, entryPoints: ['extension/host.ts'], outfile: 'dist/host.js' });
