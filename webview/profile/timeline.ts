// One iteration of a run on a time axis: a lane for the main graph and one per subgraph scope.
// d3-zoom zooms and pans along time (wheel, drag, or keys on the focused chart: +/- zoom, arrows
// pan, 0 resets). Only bars inside the view and at least a fraction of a pixel wide are drawn,
// so long timelines stay responsive.
import { axisTop } from 'd3-axis';
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { zoom, zoomIdentity, type ZoomTransform } from 'd3-zoom';
import { formatMs } from '../../common/format.js';
import type { TimelineBar, TimelineView } from '../../common/viewmodel.js';
import { availableWidth, familyClass, h, Tooltip } from './dom.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const LANE_H = 30;
const AXIS_H = 26;
const LABEL_W = 110;
const MAX_BARS = 4000;
/** Room right of the plot for the last tick label. */
const RIGHT = 36;

function barLines(b: TimelineBar): string[] {
  return [`${b.node} (${b.op})`, `${formatMs(b.dur)} at ${formatMs(b.start)}`, b.kernel, b.family];
}

export function renderTimeline(view: TimelineView, tooltip: Tooltip, container: HTMLElement): HTMLElement {
  const width = availableWidth(container);
  const height = AXIS_H + view.lanes.length * LANE_H + 8;
  const root = h('div', { class: 'armml-timeline' });
  const total = view.totalMs > 0 ? view.totalMs : 1;
  const reset = h('vscode-button', { secondary: true, 'data-testid': 'timeline-reset' }, 'Reset zoom');
  const range = h('span', { class: 'armml-muted', 'data-testid': 'timeline-range' });
  root.append(
    h(
      'div',
      { class: 'armml-toolbar' },
      h(
        'span',
        { 'data-testid': 'timeline-summary' },
        `${view.mode} · ${view.bars.length} events · one iteration of ${formatMs(view.totalMs)}`,
      ),
      range,
      reset,
    ),
  );
  if (view.bars.length === 0) {
    root.append(h('p', { class: 'armml-muted' }, 'This run has no timeline.'));
    return root;
  }
  const x = scaleLinear()
    .domain([0, total])
    .range([LABEL_W, width - RIGHT]);
  const svgEl = document.createElementNS(SVG_NS, 'svg') as SVGSVGElement;
  const svg = select(svgEl)
    .attr('class', 'armml-chart armml-timeline-chart')
    .attr('width', width)
    .attr('height', height)
    .attr('tabindex', 0)
    .attr('data-testid', 'timeline-canvas')
    .attr('role', 'img')
    .attr('aria-label', `Timeline of one ${view.mode} iteration, ${formatMs(view.totalMs)}. Plus and minus zoom, arrows pan, 0 resets.`);
  const clipId = `armml-clip-${Math.random().toString(36).slice(2)}`;
  svg
    .append('clipPath')
    .attr('id', clipId)
    .append('rect')
    .attr('x', LABEL_W)
    .attr('y', 0)
    .attr('width', width - RIGHT - LABEL_W)
    .attr('height', height);
  const axisG = svg
    .append('g')
    .attr('class', 'armml-axis')
    .attr('transform', `translate(0,${AXIS_H - 4})`);
  view.lanes.forEach((lane, i) => {
    const y = AXIS_H + i * LANE_H;
    svg
      .append('rect')
      .attr('class', 'armml-lane')
      .attr('x', LABEL_W)
      .attr('y', y)
      .attr('width', width - RIGHT - LABEL_W)
      .attr('height', LANE_H - 2);
    svg
      .append('text')
      .attr('class', 'armml-lane-label')
      .attr('x', LABEL_W - 6)
      .attr('y', y + LANE_H / 2)
      .attr('dy', '0.35em')
      .attr('text-anchor', 'end')
      .text(lane.length > 16 ? `…${lane.slice(-15)}` : lane);
  });
  const barsG = svg.append('g').attr('clip-path', `url(#${clipId})`);

  let current = x;
  const draw = (t: ZoomTransform) => {
    current = t.rescaleX(x);
    const [d0, d1] = current.domain();
    axisG.call(
      axisTop(current)
        .ticks(Math.max(2, Math.floor(width / 100)))
        .tickFormat((v) => formatMs(+v)),
    );
    let shown = view.bars.filter((b) => b.start + b.dur >= d0 && b.start <= d1);
    const inView = shown.length;
    // Thousands of sub-pixel bars cost time and show nothing more: draw the longest ones, and say so.
    if (shown.length > MAX_BARS) shown = [...shown].sort((a, b) => b.dur - a.dur).slice(0, MAX_BARS);
    range.textContent =
      `showing ${formatMs(Math.max(0, d0))} – ${formatMs(Math.min(total, d1))}` +
      (inView > shown.length ? ` · the ${shown.length} longest of ${inView} events drawn; zoom in for the rest` : '');
    barsG
      .selectAll<SVGGElement, TimelineBar>('g')
      .data(shown, (b) => `${b.lane}:${b.start}:${b.node}`)
      .join((enter) => {
        const g = enter.append('g').attr('data-testid', 'timeline-event');
        g.attr('data-node', (b) => b.node);
        g.append('title').text((b) => barLines(b).join('\n'));
        g.append('rect').attr('class', (b) => `armml-bar ${familyClass(b.family)}`);
        g.append('text').attr('class', 'armml-event-label').attr('dy', '0.35em');
        g.on('mousemove', (ev: MouseEvent, b) => tooltip.show(barLines(b), ev.clientX, ev.clientY)).on('mouseleave', () => tooltip.hide());
        return g;
      })
      .each(function (b) {
        const x0 = current(b.start);
        const w = Math.max(1, current(b.start + b.dur) - x0);
        const y = AXIS_H + b.lane * LANE_H + 2;
        const g = select(this);
        g.select('rect')
          .attr('x', x0)
          .attr('y', y)
          .attr('width', w)
          .attr('height', LANE_H - 6);
        // Labels only where they fit.
        g.select('text')
          .attr('x', x0 + 3)
          .attr('y', y + (LANE_H - 6) / 2)
          .text(w > 40 ? (b.op.length * 7 < w ? b.op : '') : '');
      });
  };

  const zoomer = zoom<SVGSVGElement, unknown>()
    .scaleExtent([1, Math.max(10, total / 1e-4)])
    .extent([
      [LABEL_W, 0],
      [width - RIGHT, height],
    ])
    .translateExtent([
      [LABEL_W, 0],
      [width - RIGHT, height],
    ])
    .on('zoom', (ev: { transform: ZoomTransform }) => draw(ev.transform));
  svg.call(zoomer);
  draw(zoomIdentity);
  reset.addEventListener('click', () => svg.call(zoomer.transform, zoomIdentity));
  svgEl.addEventListener('keydown', (ev) => {
    const step = (width - LABEL_W) / 8;
    const actions: Record<string, () => void> = {
      '+': () => zoomer.scaleBy(svg, 1.5),
      '=': () => zoomer.scaleBy(svg, 1.5),
      '-': () => zoomer.scaleBy(svg, 1 / 1.5),
      ArrowLeft: () => zoomer.translateBy(svg, step, 0),
      ArrowRight: () => zoomer.translateBy(svg, -step, 0),
      '0': () => svg.call(zoomer.transform, zoomIdentity),
    };
    const act = actions[ev.key];
    if (act) {
      ev.preventDefault();
      act();
    }
  });
  root.append(svgEl);
  root.append(
    h('p', { class: 'armml-muted' }, 'Wheel or +/- to zoom, drag or arrow keys to pan, 0 to reset. Colours are kernel families.'),
  );
  return root;
}
