// The profile viewer: a header (profile and run pickers, run summary) over five tabs. Views are
// drawn when first shown and redrawn only when the profile, the run or the width changes; the op
// table is filled at once because it is virtualized and is what people open first.
import type { WebviewView } from '../../common/protocol.js';
import type { ProfileDoc } from '../../common/profile.js';
import { formatMs, formatSpeedup } from '../../common/format.js';
import {
  defaultRunIndex,
  opTableRows,
  profileLabels,
  rooflineView,
  speedupsView,
  stackView,
  timelineView,
  type Facet,
} from '../../common/viewmodel.js';
import { h, Tooltip } from './dom.js';
import { OpTable } from './optable.js';
import { renderRoofline } from './roofline.js';
import { renderSpeedups } from './speedups.js';
import { renderStack } from './stack.js';
import { renderTimeline } from './timeline.js';

export const VIEWS: { id: WebviewView; title: string }[] = [
  { id: 'stack', title: 'Software stack' },
  { id: 'speedups', title: 'Speedups' },
  { id: 'ops', title: 'Op table' },
  { id: 'timeline', title: 'Timeline' },
  { id: 'roofline', title: 'Roofline' },
];

type Select = HTMLElement & { value: string };

export class ProfileApp {
  private profiles: ProfileDoc[] = [];
  private docIndex = 0;
  private runIndex = 0;
  private view: WebviewView = 'stack';
  private readonly fresh = new Set<WebviewView>();
  private readonly panels = new Map<WebviewView, HTMLElement>();
  private readonly tabs: HTMLElement;
  private readonly header: HTMLElement;
  private readonly table = new OpTable();
  private readonly tooltip: Tooltip;
  private width = 0;
  /** Why the profile data could not be read, shown instead of "No profiles yet". */
  private loadError: string | undefined;
  /** performance.now() when the op table was first filled, for the first-paint budget. */
  tablePaintedAt: number | undefined;

  constructor(private readonly root: HTMLElement) {
    root.classList.add('armml-app');
    root.setAttribute('data-testid', 'armml-app');
    this.header = h('header', { class: 'armml-header' });
    this.tabs = h('vscode-tabs', { 'data-testid': 'tabs' });
    for (const v of VIEWS)
      this.tabs.append(h('vscode-tab-header', { slot: 'header', 'data-testid': `tab-${v.id}`, 'data-tab': v.id }, v.title));
    for (const v of VIEWS) {
      const panel = h('vscode-tab-panel', { 'data-view': v.id, 'aria-label': v.title });
      this.panels.set(v.id, panel);
      this.tabs.append(panel);
    }
    this.panels.get('ops')!.append(this.table.el);
    this.tabs.addEventListener('vsc-tabs-select', (ev) => {
      const index = (ev as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
      this.view = VIEWS[index]?.id ?? 'stack';
      this.drawView();
    });
    this.tooltip = new Tooltip(document.body, 'tooltip');
    root.replaceChildren(this.header, this.tabs);
    window.addEventListener('resize', () => this.onResize());
  }

  /** Replaces the profiles; with `loadError`, the data could not be read and the header says why. */
  setProfiles(profiles: ProfileDoc[], loadError?: string): void {
    this.loadError = loadError;
    this.profiles = Array.isArray(profiles) ? profiles.filter((p) => p && Array.isArray(p.runs)) : [];
    // The newest profile (last) is the one just measured.
    this.docIndex = Math.max(0, this.profiles.length - 1);
    this.runIndex = this.profiles.length ? defaultRunIndex(this.profiles[this.docIndex]) : 0;
    this.invalidate();
  }

  show(view: WebviewView): void {
    const index = VIEWS.findIndex((v) => v.id === view);
    if (index < 0) return;
    this.view = view;
    this.tabs.setAttribute('selected-index', String(index));
    this.drawView();
  }

  /** Narrows the op table to one kernel family or ISA and shows it. */
  filterOps(facet: Facet | undefined): void {
    this.table.setFacet(facet);
    this.show('ops');
  }

  private get doc(): ProfileDoc | undefined {
    return this.profiles[this.docIndex];
  }

  /** Marks views stale (all but `keep`), refills the table and redraws the visible view. */
  private invalidate(keep: WebviewView[] = []): void {
    for (const v of VIEWS) if (!keep.includes(v.id)) this.fresh.delete(v.id);
    this.drawHeader();
    const doc = this.doc;
    if (!doc) {
      for (const p of this.panels.values()) if (p !== this.panels.get('ops')) p.replaceChildren();
      this.table.setRows([]);
      return;
    }
    this.table.setRows(doc.runs[this.runIndex] ? opTableRows(doc.runs[this.runIndex]) : []);
    this.fresh.add('ops');
    if (this.tablePaintedAt === undefined && doc.runs[this.runIndex]?.ops.length) {
      this.tablePaintedAt = performance.now();
      document.documentElement.dataset.opTablePaintMs = this.tablePaintedAt.toFixed(1);
    }
    this.drawView();
  }

  private drawHeader(): void {
    const doc = this.doc;
    if (!doc) {
      this.header.replaceChildren(
        h('h1', {}, 'Arm ML Profile'),
        this.loadError
          ? h('p', { class: 'armml-error', 'data-testid': 'load-error' }, this.loadError)
          : h(
              'p',
              { class: 'armml-muted', 'data-testid': 'empty' },
              'No profiles yet. Run "Arm ML: Profile Model…" or `armml profile MODEL --html report.html`.',
            ),
      );
      return;
    }
    const labels = profileLabels(this.profiles);
    const profileSelect = h('vscode-single-select', { 'data-testid': 'profile-select', 'aria-label': 'Profile' }) as Select;
    labels.forEach((l, i) => profileSelect.append(h('vscode-option', { value: String(i), selected: i === this.docIndex }, l)));
    profileSelect.addEventListener('change', () => {
      this.docIndex = Number(profileSelect.value) || 0;
      this.runIndex = defaultRunIndex(this.profiles[this.docIndex]);
      this.invalidate();
    });
    const runSelect = h('vscode-single-select', { 'data-testid': 'run-select', 'aria-label': 'Run' }) as Select;
    doc.runs.forEach((r, i) =>
      runSelect.append(
        h(
          'vscode-option',
          { value: String(i), selected: i === this.runIndex },
          `${r.mode} · ${r.threads} thread${r.threads === 1 ? '' : 's'}`,
        ),
      ),
    );
    runSelect.addEventListener('change', () => {
      this.runIndex = Number(runSelect.value) || 0;
      // Speedups compare every run of every profile; picking a run does not change them.
      this.invalidate(['speedups']);
    });
    const run = doc.runs[this.runIndex];
    const base = doc.runs.find((r) => r.mode === 'baseline');
    const summary: (string | HTMLElement)[] = [];
    if (run) {
      summary.push(
        `${run.mode} · median `,
        h('strong', { 'data-testid': 'run-median' }, formatMs(run.latency_ms.median)),
        ` (p10 ${formatMs(run.latency_ms.p10)}, p90 ${formatMs(run.latency_ms.p90)}, n=${run.latency_ms.n})`,
      );
      if (base && base !== run && run.latency_ms.median > 0)
        summary.push(
          ' · ',
          h('strong', { 'data-testid': 'run-speedup' }, formatSpeedup(base.latency_ms.median / run.latency_ms.median)),
          ' vs baseline',
        );
      summary.push(
        ' · ',
        run.outputs_ok
          ? h('span', { class: 'armml-ok' }, `outputs ok (max |err| ${run.max_abs_err.toExponential(1)} vs ${run.checked_against})`)
          : h('span', { class: 'armml-error' }, `outputs wrong: ${run.error ?? 'mismatch'}`),
      );
    }
    this.header.replaceChildren(
      h(
        'div',
        { class: 'armml-title' },
        h('h1', {}, doc.model.name),
        h(
          'span',
          { class: 'armml-muted' },
          `${doc.target.cpu.name} · ${doc.target.host} · ${doc.target.isa.join(', ') || 'no ISA extensions'} · ${doc.created}`,
        ),
      ),
      h('div', { class: 'armml-pickers' }, h('label', {}, 'Profile ', profileSelect), h('label', {}, 'Run ', runSelect)),
      h('p', { class: 'armml-summary', 'data-testid': 'run-summary' }, ...summary),
    );
  }

  private drawView(): void {
    const doc = this.doc;
    const view = this.view;
    if (!doc || this.fresh.has(view)) return;
    const panel = this.panels.get(view)!;
    try {
      if (view === 'stack') panel.replaceChildren(renderStack(stackView(doc, this.runIndex), (facet) => this.filterOps(facet)));
      else if (view === 'speedups')
        panel.replaceChildren(renderSpeedups(speedupsView(this.profiles), this.docIndex, this.tooltip, this.root));
      else if (view === 'timeline') panel.replaceChildren(renderTimeline(timelineView(doc, this.runIndex), this.tooltip, this.root));
      else if (view === 'roofline') panel.replaceChildren(renderRoofline(rooflineView(doc, this.runIndex), this.tooltip, this.root));
    } catch (e) {
      // A malformed document should cost one view, not the whole panel.
      panel.replaceChildren(
        h('p', { class: 'armml-error', 'data-testid': 'view-error' }, `Could not draw this view: ${(e as Error).message}`),
      );
    }
    this.fresh.add(view);
  }

  private resizeTimer: ReturnType<typeof setTimeout> | undefined;
  private onResize(): void {
    clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => {
      const w = this.root.clientWidth;
      if (Math.abs(w - this.width) < 24) return;
      this.width = w;
      for (const v of ['speedups', 'timeline', 'roofline'] as const) this.fresh.delete(v);
      this.drawView();
    }, 150);
  }
}
