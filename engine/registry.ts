// Lookup of op implementations by (op type, domain, opset version).
import { CATEGORIES } from './ops/categories.js';
import type { OpEntry } from './ops/types.js';

const DOMAIN_NAMES: Record<string, string> = { '': 'ai.onnx' };

export function domainName(domain: string): string {
  return DOMAIN_NAMES[domain] ?? domain;
}

const byKey = new Map<string, OpEntry[]>();
for (const entries of Object.values(CATEGORIES)) {
  for (const e of entries) {
    const key = `${e.domain}::${e.op}`;
    const list = byKey.get(key) ?? [];
    list.push(e);
    byKey.set(key, list);
  }
}

/** The entry implementing `op` of `domain` at the model's opset `version`, if any. */
export function findOp(op: string, domain: string, version: number): OpEntry | undefined {
  return byKey.get(`${domain}::${op}`)?.find((e) => e.since <= version && (e.until === undefined || version <= e.until));
}

export function isSupported(op: string, domain: string, version: number): boolean {
  return findOp(op, domain, version) !== undefined;
}

export function unsupportedMessage(op: string, domain: string, version: number): string {
  return `op ${op} (${domainName(domain)}, opset ${version}) is not supported`;
}

export interface SupportedOp {
  category: string;
  op: string;
  domain: string;
  /** Human-readable opset ranges, e.g. `7–12, 13+`. */
  opsets: string;
}

/** Every supported op, grouped by category, for docs and `armml info`. */
export function supportedOps(): SupportedOp[] {
  const out: SupportedOp[] = [];
  for (const [category, entries] of Object.entries(CATEGORIES)) {
    const seen = new Map<string, OpEntry[]>();
    for (const e of entries) {
      const k = `${e.domain}::${e.op}`;
      seen.set(k, [...(seen.get(k) ?? []), e]);
    }
    for (const list of seen.values()) {
      const ranges = list
        .slice()
        .sort((a, b) => a.since - b.since)
        .map((e) => (e.until === undefined ? `${e.since}+` : e.until === e.since ? `${e.since}` : `${e.since}–${e.until}`));
      out.push({ category, op: list[0].op, domain: domainName(list[0].domain), opsets: ranges.join(', ') });
    }
  }
  return out.sort((a, b) => a.category.localeCompare(b.category) || a.op.localeCompare(b.op));
}
