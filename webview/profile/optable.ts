// The op table: sortable by any header (click, Enter or Space), filtered by text and by a facet
// from the stack view. Only the rows in (and near) the viewport are in the DOM, so a profile with
// tens of thousands of ops renders as fast as one with ten.
import { formatCount, formatGflops, formatMs, formatShare } from '../../common/format.js';
import { filterRows, sortRows, type Facet, type OpTableRow, type SortDir, type SortKey } from '../../common/viewmodel.js';
import { familyClass, h } from './dom.js';

const ROW_HEIGHT = 24;
const OVERSCAN = 12;

interface Column {
  key: SortKey;
  title: string;
  numeric: boolean;
  cell: (r: OpTableRow) => string;
}

const COLUMNS: Column[] = [
  { key: 'op', title: 'Op', numeric: false, cell: (r) => r.op },
  { key: 'node', title: 'Node', numeric: false, cell: (r) => (r.scope ? `${r.scope} / ${r.node}` : r.node) },
  { key: 'kernel', title: 'Kernel', numeric: false, cell: (r) => r.kernel },
  { key: 'isa', title: 'ISA', numeric: false, cell: (r) => r.isa },
  { key: 'calls', title: 'Calls', numeric: true, cell: (r) => formatCount(r.calls) },
  { key: 'ms', title: 'Time', numeric: true, cell: (r) => formatMs(r.ms) },
  { key: 'share', title: 'Share', numeric: true, cell: (r) => formatShare(r.share) },
  { key: 'gflops', title: 'GFLOP/s', numeric: true, cell: (r) => formatGflops(r.gflops) },
  { key: 'shapes', title: 'Input shapes', numeric: false, cell: (r) => r.shapes },
];

export class OpTable {
  readonly el: HTMLElement;
  private rows: OpTableRow[] = [];
  private visible: OpTableRow[] = [];
  private sortKey: SortKey = 'ms';
  private sortDir: SortDir = 'desc';
  private text = '';
  private facet: Facet | undefined;
  private readonly filterInput: HTMLElement & { value: string };
  private readonly facetChip: HTMLElement;
  private readonly facetLabel: HTMLElement;
  private readonly count: HTMLElement;
  private readonly scroller: HTMLDivElement;
  private readonly table: HTMLTableElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly headers = new Map<SortKey, HTMLTableCellElement>();
  private frame = 0;
  private lastRange = '';

  constructor() {
    this.filterInput = h('vscode-textfield', {
      'data-testid': 'op-filter',
      placeholder: 'Filter: op, node, kernel, ISA, shape…',
      'aria-label': 'Filter ops',
    }) as HTMLElement & { value: string };
    this.filterInput.addEventListener('input', () => {
      this.text = this.filterInput.value ?? '';
      this.refresh();
    });
    const clear = h(
      'button',
      {
        class: 'armml-chip-clear',
        'data-testid': 'op-facet-clear',
        'aria-label': 'Clear the stack filter',
        title: 'Clear the stack filter',
      },
      '×',
    );
    clear.addEventListener('click', () => this.setFacet(undefined));
    this.facetLabel = h('span');
    this.facetChip = h('span', { class: 'armml-chip', 'data-testid': 'op-facet', hidden: true }, this.facetLabel, clear);
    this.count = h('span', { class: 'armml-muted', 'data-testid': 'op-count', 'aria-live': 'polite' });
    const headRow = h('tr');
    for (const c of COLUMNS) {
      const button = h(
        'button',
        { class: 'armml-sort', type: 'button' },
        c.title,
        h('span', { class: 'armml-sort-arrow', 'aria-hidden': 'true' }),
      );
      button.addEventListener('click', () => this.sortBy(c.key));
      const th = h('th', { scope: 'col', 'data-sort': c.key, 'aria-sort': 'none', class: c.numeric ? 'num' : '' }, button);
      this.headers.set(c.key, th);
      headRow.append(th);
    }
    this.tbody = h('tbody');
    this.table = h('table', { class: 'armml-optable', 'data-testid': 'op-table' }, h('thead', {}, headRow), this.tbody);
    this.scroller = h('div', { class: 'armml-optable-scroll', 'data-testid': 'op-table-scroll' }, this.table);
    this.scroller.addEventListener('scroll', () => this.schedule(), { passive: true });
    window.addEventListener('resize', () => this.schedule());
    this.el = h(
      'div',
      { class: 'armml-optable-view' },
      h('div', { class: 'armml-toolbar' }, this.filterInput, this.facetChip, this.count),
      this.scroller,
    );
  }

  setRows(rows: OpTableRow[]): void {
    this.rows = rows;
    this.refresh();
  }

  setFacet(facet: Facet | undefined): void {
    this.facet = facet;
    this.facetChip.hidden = !facet;
    this.facetLabel.textContent = facet ? `${facet.kind === 'family' ? 'kernel family' : 'ISA'}: ${facet.value}` : '';
    this.refresh();
  }

  /** Filter text as if typed (used by the host's "show" and by tests). */
  setFilterText(text: string): void {
    this.text = text;
    this.filterInput.value = text;
    this.refresh();
  }

  sortBy(key: SortKey): void {
    const numeric = COLUMNS.find((c) => c.key === key)!.numeric;
    if (this.sortKey === key) this.sortDir = this.sortDir === 'asc' ? 'desc' : 'asc';
    else {
      this.sortKey = key;
      this.sortDir = numeric ? 'desc' : 'asc';
    }
    this.refresh();
  }

  private refresh(): void {
    this.visible = sortRows(filterRows(this.rows, this.text, this.facet), this.sortKey, this.sortDir);
    for (const [key, th] of this.headers)
      th.setAttribute('aria-sort', key === this.sortKey ? (this.sortDir === 'asc' ? 'ascending' : 'descending') : 'none');
    this.table.setAttribute('aria-rowcount', String(this.visible.length + 1));
    this.count.textContent = `${formatCount(this.visible.length)} of ${formatCount(this.rows.length)} ops`;
    this.scroller.scrollTop = 0;
    this.lastRange = '';
    this.renderWindow();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderWindow();
    });
  }

  /** Draws the rows in view (plus some overscan) between two spacer rows of the right height. */
  private renderWindow(): void {
    const viewport = this.scroller.clientHeight || window.innerHeight || 800;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.visible.length, Math.ceil((this.scroller.scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN);
    const range = `${first}:${last}`;
    if (range === this.lastRange) return;
    this.lastRange = range;
    const top = h('tr', { class: 'armml-spacer', 'aria-hidden': 'true' });
    top.style.height = `${first * ROW_HEIGHT}px`;
    const bottom = h('tr', { class: 'armml-spacer', 'aria-hidden': 'true' });
    bottom.style.height = `${(this.visible.length - last) * ROW_HEIGHT}px`;
    const trs: HTMLElement[] = [top];
    for (let i = first; i < last; i++) {
      const r = this.visible[i];
      const tr = h('tr', {
        'data-testid': 'op-row',
        'data-node': r.node,
        'data-family': r.family,
        'data-isa': r.isa,
        'aria-rowindex': i + 2,
      });
      for (const c of COLUMNS) {
        const text = c.cell(r);
        const td = h('td', { class: c.numeric ? 'num' : '', 'data-col': c.key, title: c.numeric ? undefined : text }, text);
        if (c.key === 'kernel') td.prepend(h('span', { class: `armml-swatch ${familyClass(r.family)}`, title: r.family }));
        tr.append(td);
      }
      trs.push(tr);
    }
    if (this.visible.length === 0)
      trs.push(
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: COLUMNS.length, class: 'armml-muted' },
            this.rows.length ? 'No op matches the filter.' : 'This run has no ops.',
          ),
        ),
      );
    trs.push(bottom);
    this.tbody.replaceChildren(...trs);
  }
}
