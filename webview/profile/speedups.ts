// Speedups vs baseline: one bar per mode for every profile (model latency), then the top ops of
// the selected profile per mode. Bars carry their ratio as text ("2.72x") for people and tests.
import { axisBottom } from 'd3-axis';
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { formatMs, formatSpeedup } from '../../common/format.js';
import type { SpeedupsView } from '../../common/viewmodel.js';
import { availableWidth, h, modeClass, Tooltip } from './dom.js';

interface Bar {
  group: string;
  label: string;
  value: number;
  text: string;
  title: string[];
  cls: string;
  testid: string;
  data: Record<string, string>;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const BAR_H = 22;
const GROUP_GAP = 26;
const LABEL_W = 150;

function barChart(bars: Bar[], width: number, caption: string, tooltip: Tooltip): SVGSVGElement {
  const groups: string[] = [];
  for (const b of bars) if (!groups.includes(b.group)) groups.push(b.group);
  let y = 8;
  const ys: number[] = [];
  const groupY = new Map<string, number>();
  for (const g of groups) {
    groupY.set(g, y + 12);
    y += GROUP_GAP;
    bars.forEach((b, i) => {
      if (b.group !== g) return;
      ys[i] = y;
      y += BAR_H + 4;
    });
    y += 6;
  }
  const height = y + 28;
  const max = Math.max(1.2, ...bars.map((b) => b.value)) * 1.12;
  const x = scaleLinear()
    .domain([0, max])
    .range([LABEL_W, width - 16])
    .nice();
  const svg = select(document.createElementNS(SVG_NS, 'svg') as SVGSVGElement)
    .attr('class', 'armml-chart')
    .attr('width', width)
    .attr('height', height)
    .attr('role', 'img')
    .attr('aria-label', caption);
  svg.append('title').text(caption);
  svg
    .append('g')
    .attr('class', 'armml-axis')
    .attr('transform', `translate(0,${height - 24})`)
    .call(
      axisBottom(x)
        .ticks(Math.max(2, Math.floor(width / 90)))
        .tickFormat((v) => `${v}x`),
    );
  // The 1x mark runs along each group's bars only, so it never crosses a group's title.
  for (const g of groups) {
    const rows = ys.filter((_, i) => bars[i].group === g);
    svg
      .append('line')
      .attr('class', 'armml-unity')
      .attr('x1', x(1))
      .attr('x2', x(1))
      .attr('y1', Math.min(...rows) - 2)
      .attr('y2', Math.max(...rows) + BAR_H + 2);
  }
  for (const [g, gy] of groupY) svg.append('text').attr('class', 'armml-group-label').attr('x', 4).attr('y', gy).text(g);
  bars.forEach((b, i) => {
    const row = svg.append('g').attr('data-testid', b.testid).attr('transform', `translate(0,${ys[i]})`);
    for (const [k, v] of Object.entries(b.data)) row.attr(`data-${k}`, v);
    row.append('title').text(b.title.join('\n'));
    row
      .append('text')
      .attr('class', 'armml-bar-label')
      .attr('x', LABEL_W - 6)
      .attr('y', BAR_H / 2)
      .attr('dy', '0.35em')
      .attr('text-anchor', 'end')
      .text(b.label);
    const w = Math.max(1, x(b.value) - LABEL_W);
    row.append('rect').attr('class', `armml-bar ${b.cls}`).attr('x', LABEL_W).attr('y', 0).attr('height', BAR_H).attr('width', w);
    // The value goes inside the bar only when it fits there (about 7 px a character at this size).
    const inside = w > b.text.length * 7 + 12;
    row
      .append('text')
      .attr('class', inside ? 'armml-bar-value inside' : 'armml-bar-value')
      .attr('x', inside ? LABEL_W + w - 6 : LABEL_W + w + 6)
      .attr('y', BAR_H / 2)
      .attr('dy', '0.35em')
      .attr('text-anchor', inside ? 'end' : 'start')
      .text(b.text);
    row.on('mousemove', (ev: MouseEvent) => tooltip.show(b.title, ev.clientX, ev.clientY)).on('mouseleave', () => tooltip.hide());
  });
  return svg.node()!;
}

export function renderSpeedups(view: SpeedupsView, selected: number, tooltip: Tooltip, width: number | HTMLElement): HTMLElement {
  const w = typeof width === 'number' ? width : availableWidth(width);
  const root = h('div', { class: 'armml-speedups' });
  if (view.profiles.length === 0) return root;
  const modelBars: Bar[] = [];
  const notes: string[] = [];
  view.profiles.forEach((p, pi) => {
    if (p.baselineMs === undefined) notes.push(`${p.label}: no baseline run, so no speedups.`);
    for (const m of p.modes) {
      if (m.speedup === undefined) continue;
      modelBars.push({
        group: p.label,
        label: `${m.mode} · ${m.threads}t`,
        value: m.speedup,
        text: formatSpeedup(m.speedup) + (m.outputsOk ? '' : ' (wrong outputs)'),
        title: [
          `${p.label}: ${m.mode} ${formatSpeedup(m.speedup)} vs baseline`,
          `median ${formatMs(m.medianMs)} vs ${formatMs(p.baselineMs!)}`,
          m.outputsOk ? 'outputs ok' : 'outputs differ from the reference',
        ],
        cls: modeClass(m.mode, view.modes),
        testid: 'speedup-bar',
        data: { profile: String(pi), mode: m.mode },
      });
    }
  });
  root.append(h('h2', {}, 'Model speedup vs baseline (median latency)'));
  if (modelBars.length) root.append(barChart(modelBars, w, 'Model speedup per mode vs baseline', tooltip));
  else root.append(h('p', { class: 'armml-muted' }, 'No mode besides baseline in these profiles.'));
  for (const n of notes) root.append(h('p', { class: 'armml-muted', 'data-testid': 'speedup-note' }, n));

  const p = view.profiles[selected] ?? view.profiles[0];
  const opBars: Bar[] = [];
  for (const o of p.topOps) {
    for (const m of o.modes) {
      if (m.speedup === undefined) continue;
      opBars.push({
        group: `${o.node} (${o.op}) · baseline ${formatMs(o.baselineMs)}`,
        label: m.mode,
        value: m.speedup,
        text: `${formatSpeedup(m.speedup)} · ${formatMs(m.ms)}`,
        title: [`${o.node} (${o.op}): ${m.mode} ${formatSpeedup(m.speedup)}`, `${formatMs(o.baselineMs)} -> ${formatMs(m.ms)}`, m.kernel],
        cls: modeClass(m.mode, view.modes),
        testid: 'op-speedup-bar',
        data: { node: o.node, mode: m.mode },
      });
    }
  }
  root.append(h('h2', {}, `Top ${p.topOps.length} ops of baseline: ${p.label}`));
  if (opBars.length) root.append(barChart(opBars, w, `Per-op speedup for ${p.label}`, tooltip));
  else root.append(h('p', { class: 'armml-muted' }, 'No ops to compare (a baseline run and another mode are needed).'));
  return root;
}
