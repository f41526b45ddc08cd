// The software stack of one run: model -> graph passes -> dispatcher -> kernel families -> ISA
// features, each block sized by its share of the run's time. Family and ISA blocks are buttons:
// activating one filters the op table to it.
import { formatMs, formatShare } from '../../common/format.js';
import type { Facet, StackBlock, StackView } from '../../common/viewmodel.js';
import { familyClass, h, isaClass } from './dom.js';

function blockClass(layer: string, block: StackBlock, index: number): string {
  if (layer === 'families') return familyClass(block.label);
  if (layer === 'isa') return isaClass(block.label, index);
  return 'c-neutral';
}

export function renderStack(view: StackView, onFacet: (facet: Facet) => void): HTMLElement {
  const layers = view.layers.map((layer) => {
    const blocks = layer.blocks.map((b, i) => {
      const children = [
        h('span', { class: 'armml-block-label' }, b.label),
        h(
          'span',
          { class: 'armml-block-numbers' },
          h('span', { 'data-testid': 'stack-block-ms' }, formatMs(b.ms)),
          ' · ',
          h('span', { 'data-testid': 'stack-block-share' }, formatShare(b.share)),
        ),
        b.detail ? h('span', { class: 'armml-block-detail' }, b.detail) : null,
      ];
      const title = [
        b.label,
        `${formatMs(b.ms)} (${formatShare(b.share)} of ${formatMs(view.totalMs)})`,
        b.detail,
        ...b.kernels.slice(0, 8),
      ]
        .filter(Boolean)
        .join('\n');
      const attrs = {
        class: `armml-block ${blockClass(layer.id, b, i)}${b.facet ? ' armml-block-action' : ''}`,
        'data-testid': 'stack-block',
        'data-layer': layer.id,
        'data-block': b.id,
        title,
      };
      const el = b.facet
        ? h(
            'button',
            {
              ...attrs,
              type: 'button',
              'data-facet-kind': b.facet.kind,
              'data-facet-value': b.facet.value,
              'aria-label': `${b.label}: ${formatMs(b.ms)}, ${formatShare(b.share)}. Show these ops in the table.`,
            },
            ...children,
          )
        : h('div', attrs, ...children);
      if (b.facet) {
        const facet = b.facet;
        el.addEventListener('click', () => onFacet(facet));
      }
      // Blocks grow with their share (a min-width keeps tiny ones readable and clickable); a layer
      // that only says "none" spans the row.
      el.style.flexGrow = String(b.id === 'pass:none' ? 1 : Math.max(b.share, 0.002));
      return el;
    });
    return h(
      'div',
      { class: 'armml-layer', 'data-layer': layer.id },
      h('div', { class: 'armml-layer-title' }, layer.title),
      h('div', { class: 'armml-layer-blocks' }, ...blocks),
    );
  });
  return h(
    'div',
    { class: 'armml-stack' },
    h(
      'p',
      { class: 'armml-muted', 'data-testid': 'stack-summary' },
      `${view.mode} · ${view.threads} thread${view.threads === 1 ? '' : 's'} · median latency ${formatMs(view.latencyMs)} · op time ${formatMs(view.opMs)}. Blocks are sized by their share of ${formatMs(view.totalMs)}; select a kernel family or ISA to list its ops.`,
    ),
    ...layers,
  );
}
