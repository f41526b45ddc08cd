// Bundles what ships: the CLI (and, as they land, agent, extension and webview).
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, external: ['node-gyp-build'], logLevel: 'warning' };

await build({ ...common, entryPoints: ['cli/armml.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } });
