// Small DOM helpers for the profile views. Everything is built with createElement/textContent
// (never innerHTML with data) and styled through classes or the CSSOM, so the strict CSP of the
// webview and the report (no inline style attributes) holds.
import { FAMILY_ACL, FAMILY_KLEIDI, FAMILY_NATIVE_OTHER, FAMILY_REFERENCE, FAMILY_TS } from '../../common/viewmodel.js';

type Attrs = Record<string, string | number | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs,
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs, ...children: (Node | string | null | undefined | false)[]): HTMLElement;
export function h(tag: string, attrs: Attrs = {}, ...children: (Node | string | null | undefined | false)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Family -> CSS class that picks a chart colour (see profile.css). */
const FAMILY_CLASS: Record<string, string> = {
  [FAMILY_ACL]: 'c-blue',
  [FAMILY_KLEIDI]: 'c-purple',
  [FAMILY_REFERENCE]: 'c-orange',
  [FAMILY_NATIVE_OTHER]: 'c-green',
  [FAMILY_TS]: 'c-yellow',
};
export function familyClass(family: string): string {
  return FAMILY_CLASS[family] ?? 'c-red';
}

const ISA_COLOURS = ['c-blue', 'c-green', 'c-purple', 'c-yellow', 'c-red'];
/** ISA -> colour class; scalar is always the reference colour so the plain path stands out. */
export function isaClass(isa: string, index: number): string {
  return isa === 'scalar' ? 'c-orange' : ISA_COLOURS[index % ISA_COLOURS.length];
}

/** Mode -> colour class, stable across charts. */
export function modeClass(mode: string, modes: string[]): string {
  const i = modes.indexOf(mode);
  return ['c-blue', 'c-green', 'c-purple', 'c-yellow', 'c-red', 'c-orange'][(i < 0 ? 0 : i) % 6];
}

/** The one floating tooltip of the page, positioned next to the pointer or focused element. */
export class Tooltip {
  readonly el: HTMLDivElement;
  constructor(parent: HTMLElement, testid: string) {
    this.el = h('div', { class: 'armml-tooltip', role: 'tooltip', 'data-testid': testid, hidden: true });
    parent.append(this.el);
  }
  show(lines: string[], clientX: number, clientY: number): void {
    this.el.replaceChildren(...lines.map((l, i) => h(i === 0 ? 'strong' : 'div', {}, l)));
    this.el.hidden = false;
    const box = this.el.getBoundingClientRect();
    const x = Math.min(clientX + 12, window.innerWidth - box.width - 4);
    const y = clientY + 16 + box.height > window.innerHeight ? clientY - box.height - 8 : clientY + 16;
    this.el.style.left = `${Math.max(0, x)}px`;
    this.el.style.top = `${Math.max(0, y)}px`;
  }
  hide(): void {
    this.el.hidden = true;
  }
}

/** Width available to a chart; hidden panels report 0, so fall back to the window. */
export function availableWidth(el: HTMLElement): number {
  return Math.max(360, el.clientWidth || document.documentElement.clientWidth - 32 || 800);
}
