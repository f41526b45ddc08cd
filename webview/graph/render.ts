// Draws a GraphView as SVG with pan/zoom; only what is in the viewport is in the DOM, so
// graphs of thousands of nodes stay responsive.
import { select, type Selection } from 'd3-selection';
import { zoom, zoomIdentity, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import type { GraphView, GraphViewEdge, GraphViewNode } from '../../common/graphview.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
// Rendered beyond the viewport so a small pan does not show empty space before the next frame.
const OVERSCAN = 200;
// Below this zoom, labels are unreadable anyway; dropping them keeps big graphs fast.
const LABEL_MIN_SCALE = 0.35;

export class GraphRenderer {
  private graph: GraphView | undefined;
  private readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly viewport: Selection<SVGGElement, unknown, null, undefined>;
  private readonly edgeLayer: Selection<SVGGElement, unknown, null, undefined>;
  private readonly nodeLayer: Selection<SVGGElement, unknown, null, undefined>;
  private readonly details: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly searchCount: HTMLElement;
  private readonly zoomBehavior: ZoomBehavior<SVGSVGElement, unknown>;
  private transform: ZoomTransform = zoomIdentity;
  private selected: string | undefined;
  private matches: GraphViewNode[] = [];
  private matchIds = new Set<string>();
  private matchIndex = -1;
  private frame = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly onSelect: (node: GraphViewNode) => void = () => undefined,
  ) {
    root.classList.add('armml-graph');
    root.innerHTML = `
      <div class="toolbar" role="search">
        <input type="search" data-testid="graph-search" placeholder="Find node by name or op type (/)" aria-label="Find node by name or op type" />
        <span class="count" data-testid="graph-search-count" aria-live="polite"></span>
        <button type="button" data-testid="graph-fit" title="Fit graph to view (0)">Fit</button>
        <span class="legend" aria-hidden="true"><span class="swatch"></span>time share</span>
        <span class="summary" data-testid="graph-summary"></span>
      </div>
      <div class="canvas"></div>
      <aside class="details" data-testid="graph-details" aria-live="polite" hidden></aside>`;
    this.search = root.querySelector('input')!;
    this.searchCount = root.querySelector('.count')!;
    this.details = root.querySelector('.details')!;
    const canvas = root.querySelector<HTMLElement>('.canvas')!;
    const svgEl = document.createElementNS(SVG_NS, 'svg');
    svgEl.setAttribute('data-testid', 'graph-canvas');
    svgEl.setAttribute('tabindex', '0');
    svgEl.setAttribute('role', 'application');
    svgEl.setAttribute('aria-label', 'Model graph: arrow keys pan, + and - zoom, Tab moves through the visible nodes');
    canvas.appendChild(svgEl);
    this.svg = select(svgEl);
    this.svg
      .append('defs')
      .append('marker')
      .attr('id', 'armml-arrow')
      .attr('viewBox', '0 0 10 10')
      .attr('refX', 9)
      .attr('refY', 5)
      .attr('markerWidth', 6)
      .attr('markerHeight', 6)
      .attr('orient', 'auto')
      .append('path')
      .attr('d', 'M0,0L10,5L0,10z')
      .attr('class', 'arrow');
    this.viewport = this.svg.append('g');
    this.edgeLayer = this.viewport.append('g').attr('class', 'edges');
    this.nodeLayer = this.viewport.append('g').attr('class', 'nodes');
    this.zoomBehavior = zoom<SVGSVGElement, unknown>()
      .scaleExtent([0.02, 4])
      .on('zoom', (event: { transform: ZoomTransform }) => {
        this.transform = event.transform;
        this.viewport.attr('transform', event.transform.toString());
        this.scheduleDraw();
      });
    this.svg.call(this.zoomBehavior).on('dblclick.zoom', null);
    this.bindKeys(svgEl);
    this.search.addEventListener('input', () => this.runSearch(this.search.value));
    this.search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        this.nextMatch(e.shiftKey ? -1 : 1);
      } else if (e.key === 'Escape') {
        this.search.value = '';
        this.runSearch('');
      }
    });
    root.querySelector('[data-testid="graph-fit"]')!.addEventListener('click', () => this.fit());
    window.addEventListener('resize', () => this.scheduleDraw());
  }

  setGraph(graph: GraphView): void {
    this.graph = graph;
    this.selected = undefined;
    this.details.hidden = true;
    const timed = graph.totalMs !== undefined ? ` · ${graph.mode} ${graph.totalMs.toFixed(2)} ms` : '';
    const hidden = graph.hiddenNodes ? ` · ${graph.hiddenNodes} Constant/Identity hidden` : '';
    this.root.querySelector('.summary')!.textContent = `${graph.nodes.length} nodes${timed}${hidden}`;
    this.fit(false);
    this.runSearch(this.search.value);
  }

  /**
   * Whole graph in view; or (the start view) the top of the graph at a readable scale, since
   * models are far taller than wide and the whole of one is a grey smear.
   */
  fit(whole = true): void {
    if (!this.graph) return;
    const { width, height } = this.size();
    const fitWidth = width / Math.max(1, this.graph.width);
    const fitHeight = height / Math.max(1, this.graph.height);
    const scale = Math.min(1, whole ? Math.min(fitWidth, fitHeight) : Math.max(fitWidth, 0.6));
    const x = (width - this.graph.width * scale) / 2;
    const t = zoomIdentity.translate(Math.max(x, 0), 0).scale(Math.max(scale, 0.02));
    this.svg.call(this.zoomBehavior.transform, t);
  }

  select(id: string | undefined): void {
    this.selected = id;
    const node = id ? this.graph?.nodes.find((n) => n.id === id) : undefined;
    if (!node) {
      this.details.hidden = true;
    } else {
      this.details.hidden = false;
      this.details.replaceChildren(...detailsOf(node));
      this.onSelect(node);
    }
    this.draw();
  }

  private size(): { width: number; height: number } {
    const el = this.svg.node()!;
    return { width: el.clientWidth || 800, height: el.clientHeight || 600 };
  }

  private panTo(node: GraphViewNode): void {
    const { width, height } = this.size();
    const k = Math.max(this.transform.k, 0.8);
    const t = zoomIdentity.translate(width / 2 - node.x * k, height / 2 - node.y * k).scale(k);
    this.svg.call(this.zoomBehavior.transform, t);
  }

  private runSearch(query: string): void {
    const q = query.trim().toLowerCase();
    this.matches = q && this.graph ? this.graph.nodes.filter((n) => n.name.toLowerCase().includes(q) || n.label.toLowerCase().includes(q)) : [];
    this.matchIds = new Set(this.matches.map((n) => n.id));
    this.matchIndex = -1;
    this.searchCount.textContent = q ? `${this.matches.length} match${this.matches.length === 1 ? '' : 'es'}` : '';
    if (this.matches.length) this.nextMatch(1);
    else this.draw();
  }

  private nextMatch(step: number): void {
    if (!this.matches.length) return;
    this.matchIndex = (this.matchIndex + step + this.matches.length) % this.matches.length;
    const node = this.matches[this.matchIndex];
    this.searchCount.textContent = `${this.matchIndex + 1} of ${this.matches.length}`;
    this.panTo(node);
    this.select(node.id);
  }

  private bindKeys(svgEl: SVGSVGElement): void {
    const pan = 80;
    svgEl.addEventListener('keydown', (e) => {
      const moves: Record<string, [number, number]> = { ArrowLeft: [pan, 0], ArrowRight: [-pan, 0], ArrowUp: [0, pan], ArrowDown: [0, -pan] };
      if (moves[e.key]) {
        this.svg.call(this.zoomBehavior.translateBy, moves[e.key][0] / this.transform.k, moves[e.key][1] / this.transform.k);
      } else if (e.key === '+' || e.key === '=') {
        this.svg.call(this.zoomBehavior.scaleBy, 1.25);
      } else if (e.key === '-') {
        this.svg.call(this.zoomBehavior.scaleBy, 0.8);
      } else if (e.key === '0') {
        this.fit();
      } else if (e.key === 'Escape') {
        this.select(undefined);
      } else {
        return;
      }
      e.preventDefault();
    });
    this.root.addEventListener('keydown', (e) => {
      if (e.key === '/' && document.activeElement !== this.search) {
        e.preventDefault();
        this.search.focus();
      }
    });
  }

  private scheduleDraw(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const graph = this.graph;
    if (!graph) return;
    const { width, height } = this.size();
    const t = this.transform;
    const x0 = (-t.x - OVERSCAN) / t.k;
    const y0 = (-t.y - OVERSCAN) / t.k;
    const x1 = (width - t.x + OVERSCAN) / t.k;
    const y1 = (height - t.y + OVERSCAN) / t.k;
    const inView = (n: GraphViewNode) => n.x + n.width / 2 >= x0 && n.x - n.width / 2 <= x1 && n.y + n.height / 2 >= y0 && n.y - n.height / 2 <= y1;
    const nodes = graph.nodes.filter((n) => inView(n) || n.id === this.selected);
    const edges = graph.edges.filter((e) => edgeInView(e, x0, y0, x1, y1));
    const labels = t.k >= LABEL_MIN_SCALE;

    this.edgeLayer
      .selectAll<SVGPathElement, GraphViewEdge>('path')
      .data(edges, (e) => `${e.from}>${e.to}>${e.value}`)
      .join((enter) => enter.append('path').attr('marker-end', 'url(#armml-arrow)'))
      .attr('d', (e) => (e.points.length ? `M${e.points.map((p) => `${p.x},${p.y}`).join('L')}` : ''))
      .classed('active', (e) => e.from === this.selected || e.to === this.selected);

    const groups = this.nodeLayer
      .selectAll<SVGGElement, GraphViewNode>('g.node')
      .data(nodes, (n) => n.id)
      .join((enter) => {
        const g = enter
          .append('g')
          .attr('class', 'node')
          .attr('data-testid', 'graph-node')
          .attr('tabindex', 0)
          .attr('role', 'button')
          .on('click', (_e: MouseEvent, n: GraphViewNode) => this.select(n.id))
          .on('keydown', (e: KeyboardEvent, n: GraphViewNode) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              this.select(n.id);
            }
          });
        g.append('rect').attr('rx', 4);
        g.append('text').attr('class', 'op');
        g.append('text').attr('class', 'sub');
        return g;
      });
    groups
      .attr('transform', (n) => `translate(${n.x - n.width / 2},${n.y - n.height / 2})`)
      .attr('data-node-id', (n) => n.id)
      .attr('data-node-name', (n) => n.name)
      .attr('aria-label', (n) => `${n.label} ${n.name}${n.ms !== undefined ? `, ${n.ms.toFixed(3)} ms` : ''}`)
      .attr('class', (n) => `node ${n.kind}${n.heat > 0.5 ? ' hot' : ''}`)
      .classed('selected', (n) => n.id === this.selected)
      .classed('match', (n) => this.matchIds.has(n.id));
    groups
      .select('rect')
      .attr('width', (n) => n.width)
      .attr('height', (n) => n.height)
      .style('fill', (n) => (n.kind === 'op' ? heatFill(n.heat) : null));
    groups
      .select<SVGTextElement>('text.op')
      .attr('x', (n) => n.width / 2)
      .attr('y', (n) => (n.ms !== undefined ? 19 : n.height / 2 + 4))
      .text((n) => (labels ? n.label : ''));
    groups
      .select<SVGTextElement>('text.sub')
      .attr('x', (n) => n.width / 2)
      .attr('y', 36)
      .text((n) => (labels && n.ms !== undefined ? `${formatMs(n.ms)} · ${formatShare(n.share ?? 0)}` : ''));
  }
}

function edgeInView(e: GraphViewEdge, x0: number, y0: number, x1: number, y1: number): boolean {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of e.points) {
    minX = Math.min(minX, p.x);
    maxX = Math.max(maxX, p.x);
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  return maxX >= x0 && minX <= x1 && maxY >= y0 && minY <= y1;
}

/** Mixes the theme's "hot" chart colour into the node background in proportion to its time share. */
export function heatFill(heat: number): string {
  const pct = Math.round(Math.max(0, Math.min(1, heat)) * 100);
  return `color-mix(in srgb, var(--armml-hot) ${pct}%, var(--armml-node-bg))`;
}

function formatMs(ms: number): string {
  return ms >= 10 ? `${ms.toFixed(1)} ms` : ms >= 0.1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} µs`;
}

function formatShare(share: number): string {
  return `${(share * 100).toFixed(share >= 0.1 ? 0 : 1)}%`;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function detailsOf(node: GraphViewNode): HTMLElement[] {
  const parts: HTMLElement[] = [el('h2', node.label), el('div', node.name, 'name')];
  if (node.ms !== undefined) {
    const dl = el('dl');
    const add = (k: string, v: string) => dl.append(el('dt', k), el('dd', v));
    add('time', `${formatMs(node.ms)} (${formatShare(node.share ?? 0)})`);
    if (node.kernel) add('kernel', node.kernel);
    if (node.isa) add('ISA', node.isa);
    if (node.calls && node.calls > 1) add('calls', String(node.calls));
    parts.push(dl);
  }
  const tensorTable = (title: string, tensors: GraphViewNode['inputs']) => {
    if (!tensors.length) return;
    parts.push(el('h3', title));
    const table = el('table');
    for (const t of tensors) {
      const tr = el('tr');
      tr.append(el('td', t.name, 'tensor'), el('td', t.shape ?? '?'), el('td', [t.dtype, t.kind].filter(Boolean).join(' ')));
      table.append(tr);
    }
    parts.push(table);
  };
  tensorTable('Inputs', node.inputs);
  tensorTable('Outputs', node.outputs);
  if (node.attributes.length) {
    parts.push(el('h3', 'Attributes'));
    const dl = el('dl');
    for (const a of node.attributes) dl.append(el('dt', a.name), el('dd', a.value));
    parts.push(dl);
  }
  return parts;
}
