// Roofline of one run, log-log: arithmetic intensity (FLOP/byte) against achieved GFLOP/s, one
// point per op, with the memory and compute roofs when the profile carries measured peaks.
import { axisBottom, axisLeft } from 'd3-axis';
import { scaleLog } from 'd3-scale';
import { select } from 'd3-selection';
import { formatGflops, formatMs } from '../../common/format.js';
import type { RooflinePoint, RooflineView } from '../../common/viewmodel.js';
import { availableWidth, familyClass, h, Tooltip } from './dom.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const M = { top: 16, right: 24, bottom: 44, left: 64 };

function pointLines(p: RooflinePoint): string[] {
  return [
    `${p.node} (${p.op})`,
    `${formatGflops(p.gflops)} GFLOP/s at ${p.intensity.toPrecision(3)} FLOP/byte`,
    `${formatMs(p.ms)} · ${p.kernel}`,
    p.family,
  ];
}

const logTick = (v: number) => (v >= 1000 || v < 0.01 ? v.toExponential(0) : String(+v.toPrecision(2)));

export function renderRoofline(view: RooflineView, tooltip: Tooltip, container: HTMLElement): HTMLElement {
  const width = Math.min(availableWidth(container), 1100);
  const height = Math.max(320, Math.min(560, Math.round(width * 0.55)));
  const root = h('div', { class: 'armml-roofline' });
  root.append(h('p', { class: 'armml-muted', 'data-testid': 'roofline-note' }, view.note));
  root.append(
    h(
      'p',
      { 'data-testid': 'roofline-summary' },
      `${view.mode} · ${view.points.length} ops plotted${view.skipped ? ` · ${view.skipped} without arithmetic or traffic left out` : ''}`,
    ),
  );
  const x = scaleLog()
    .domain(view.x)
    .range([M.left, width - M.right]);
  const y = scaleLog()
    .domain(view.y)
    .range([height - M.bottom, M.top]);
  const svgEl = document.createElementNS(SVG_NS, 'svg') as SVGSVGElement;
  const svg = select(svgEl)
    .attr('class', 'armml-chart')
    .attr('width', width)
    .attr('height', height)
    .attr('data-testid', 'roofline-canvas')
    .attr('role', 'img')
    .attr('aria-label', `Roofline of the ${view.mode} run: ${view.points.length} ops`);
  svg
    .append('g')
    .attr('class', 'armml-axis')
    .attr('transform', `translate(0,${height - M.bottom})`)
    .call(axisBottom(x).ticks(6, logTick));
  svg.append('g').attr('class', 'armml-axis').attr('transform', `translate(${M.left},0)`).call(axisLeft(y).ticks(6, logTick));
  svg
    .append('text')
    .attr('class', 'armml-axis-title')
    .attr('x', (M.left + width - M.right) / 2)
    .attr('y', height - 6)
    .attr('text-anchor', 'middle')
    .text('arithmetic intensity (FLOP/byte)');
  svg
    .append('text')
    .attr('class', 'armml-axis-title')
    .attr('transform', `translate(14,${(M.top + height - M.bottom) / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .text('achieved GFLOP/s');

  const [x0, x1] = view.x;
  if (view.peakGbps !== undefined) {
    const end = view.ridge ?? x1;
    const g = svg.append('g').attr('data-testid', 'roofline-roof').attr('data-roof', 'memory');
    g.append('line')
      .attr('class', 'armml-roof')
      .attr('x1', x(x0))
      .attr('y1', y(Math.max(view.y[0], view.peakGbps * x0)))
      .attr('x2', x(end))
      .attr('y2', y(view.peakGbps * end));
    g.append('text')
      .attr('class', 'armml-roof-label')
      .attr('x', x(x0) + 6)
      .attr('y', y(Math.max(view.y[0], view.peakGbps * x0)) - 6)
      .text(`${view.peakGbps.toFixed(1)} GB/s`);
  }
  if (view.peakGflops !== undefined) {
    const start = view.ridge ?? x0;
    const g = svg.append('g').attr('data-testid', 'roofline-roof').attr('data-roof', 'compute');
    g.append('line')
      .attr('class', 'armml-roof')
      .attr('x1', x(start))
      .attr('y1', y(view.peakGflops))
      .attr('x2', x(x1))
      .attr('y2', y(view.peakGflops));
    g.append('text')
      .attr('class', 'armml-roof-label')
      .attr('x', x(x1) - 6)
      .attr('y', y(view.peakGflops) - 6)
      .attr('text-anchor', 'end')
      .text(`${view.peakGflops.toFixed(1)} GFLOP/s`);
  }
  svg
    .append('g')
    .selectAll('circle')
    .data(view.points)
    .join('circle')
    .attr('data-testid', 'roofline-point')
    .attr('data-node', (p) => p.node)
    .attr('class', (p) => `armml-point ${familyClass(p.family)}`)
    .attr('cx', (p) => x(p.intensity))
    .attr('cy', (p) => y(p.gflops))
    .attr('r', 4.5)
    .on('mousemove', (ev: MouseEvent, p) => tooltip.show(pointLines(p), ev.clientX, ev.clientY))
    .on('mouseleave', () => tooltip.hide())
    .append('title')
    .text((p) => pointLines(p).join('\n'));
  root.append(svgEl);
  const families = [...new Set(view.points.map((p) => p.family))];
  root.append(
    h('div', { class: 'armml-legend' }, ...families.map((f) => h('span', {}, h('span', { class: `armml-swatch ${familyClass(f)}` }), f))),
  );
  return root;
}
