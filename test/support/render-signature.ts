// What a view of the profile viewer draws, as a list of strings: every element of the header and of
// one view's panel with its test id, classes and text, and the geometry of SVG shapes rounded to a
// pixel. Two renderings with equal signatures show the same things in the same places (colours
// come from the theme and are left out). Used to check that the VS Code webview and the standalone
// report draw a profile identically.
import type { WebviewView } from '../../common/protocol.js';

/** A script for `evaluate` in the viewer's document (a string: tsx would wrap a function's inner closures in a helper the page lacks). */
export function renderSignatureScript(view: WebviewView): string {
  return `(() => {
    const root = document.querySelector('[data-testid="armml-app"]');
    const panel = root && root.querySelector('[data-view=' + ${JSON.stringify(JSON.stringify(view))} + ']');
    if (!root || !panel) return ['no viewer or no ' + ${JSON.stringify(view)} + ' panel'];
    const GEOMETRY = ['x', 'y', 'width', 'height', 'x1', 'x2', 'y1', 'y2', 'cx', 'cy', 'r', 'transform', 'd', 'points'];
    const round = (v) => v.replace(/-?\\d+(\\.\\d+)?(e-?\\d+)?/g, (n) => String(Math.round(Number(n))));
    const describe = (el) => {
      const parts = [el.tagName.toLowerCase()];
      const id = el.getAttribute('data-testid');
      if (id) parts.push('#' + id);
      const cls = el.getAttribute('class');
      if (cls) parts.push('.' + cls.trim().split(/\\s+/).sort().join('.'));
      if (el instanceof SVGElement) for (const a of GEOMETRY) if (el.hasAttribute(a)) parts.push(a + '=' + round(el.getAttribute(a)));
      if (el.children.length === 0 && el.textContent && el.textContent.trim()) parts.push(JSON.stringify(el.textContent.replace(/\\s+/g, ' ').trim()));
      const label = el.getAttribute('aria-label');
      if (label) parts.push('aria=' + JSON.stringify(label));
      return parts.join(' ');
    };
    const header = root.querySelector('header');
    return [...(header ? [header, ...header.querySelectorAll('*')] : []), panel, ...panel.querySelectorAll('*')].map(describe);
  })()`;
}
