// Entry of the `.onnx` graph view bundle (dist/graph.js + dist/graph.css); see README.md beside it.
import './graph.css';
import type { GraphView } from '../../common/graphview.js';
import { GraphRenderer } from './render.js';

declare global {
  interface Window {
    ARMML_GRAPH?: GraphView;
    acquireVsCodeApi?: () => { postMessage(message: unknown): void };
  }
}

const root = document.getElementById('armml-graph') ?? document.body.appendChild(document.createElement('div'));
root.id = 'armml-graph';
const vscode = window.acquireVsCodeApi?.();
const renderer = new GraphRenderer(root, (node) => vscode?.postMessage({ type: 'graphNodeSelected', node: node.name }));

window.addEventListener('message', (event: MessageEvent) => {
  const msg = event.data as { type?: string; graph?: GraphView } | null;
  if (msg?.type === 'graph' && msg.graph) renderer.setGraph(msg.graph);
});

if (window.ARMML_GRAPH) renderer.setGraph(window.ARMML_GRAPH);
vscode?.postMessage({ type: 'graphReady' });
