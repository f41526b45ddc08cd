// Kernel and run classification for the profile views: which family a kernel belongs to, one
// spelling per ISA, which run a view opens on and how profiles are labelled side by side.
import type { ProfileDoc } from './profile.js';

// ---------------------------------------------------------------- classification

export const FAMILY_ACL = 'ACL-style fp32';
export const FAMILY_KLEIDI = 'KleidiAI-style quantized';
export const FAMILY_REFERENCE = 'reference';
export const FAMILY_NATIVE_OTHER = 'other native kernels';
export const FAMILY_TS = 'TypeScript ops';

const ISA_SUFFIX = /_(avx2|avx512|fma|neon|sve2?|dotprod|i8mm|bf16)(_|$)/;

/**
 * Kernel -> family. Reference kernels win over everything (a `_ref` quantized matmul is still
 * the plain path). Where the profile recorded the kernel's variant-table family (`tableFamily`,
 * OpRow.kernel_family) that decides; profiles without it fall back to the name's spelling, with
 * composite names ("conv2d_…+matmul_…") classified by their parts.
 */
export function kernelFamily(kernel: string, tableFamily?: string): string {
  const k = kernel.toLowerCase();
  const parts = k.split('+');
  if (k.startsWith('ts_') || k.includes('reference') || parts.some((p) => p.endsWith('_ref') || p.includes('_ref_')))
    return FAMILY_REFERENCE;
  if (tableFamily) return familyOfTable(tableFamily);
  if (/(^|_)q[a-z]*\d/.test(k)) return FAMILY_KLEIDI;
  if (parts.some((p) => /^(matmul|conv2d|dwconv2d|gemm)_/.test(p))) return FAMILY_ACL;
  if (ISA_SUFFIX.test(k)) return FAMILY_NATIVE_OTHER;
  return FAMILY_TS;
}

/** A variant-table family ("matmul_f32", "matmul_qai8dxp_qsi4c32p", "pool2d_f32") -> the views' family. */
export function familyOfTable(family: string): string {
  const [op, dtype] = family.toLowerCase().split('_');
  if (dtype?.startsWith('q')) return FAMILY_KLEIDI;
  if (['matmul', 'gemv', 'conv2d', 'dwconv2d'].includes(op)) return FAMILY_ACL;
  return FAMILY_NATIVE_OTHER;
}

/** ISA labels as the kernels report them ("avx2_fma", "AVX2+FMA") -> one spelling ("avx2+fma"). */
export function normalizeIsa(isa: string): string {
  const s = (isa || 'scalar')
    .trim()
    .toLowerCase()
    .replace(/[_\s]+/g, '+');
  return s === '' ? 'scalar' : s;
}

// ---------------------------------------------------------------- runs and labels

/** The run a view opens on: eager when there is one, else the last run that has ops. */
export function defaultRunIndex(doc: ProfileDoc): number {
  const eager = doc.runs.findIndex((r) => r.mode === 'eager' && r.ops.length > 0);
  if (eager >= 0) return eager;
  for (let i = doc.runs.length - 1; i >= 0; i--) if (doc.runs[i].ops.length > 0) return i;
  return 0;
}

/** Threads of the optimized runs (baseline is single-threaded by design). */
export function profileThreads(doc: ProfileDoc): number {
  const optimized = doc.runs.filter((r) => r.mode !== 'baseline');
  return Math.max(1, ...(optimized.length ? optimized : doc.runs).map((r) => r.threads));
}

/** "resnet50 · graviton3 · 4 threads"; later duplicates get " (2)", " (3)". */
export function profileLabels(docs: ProfileDoc[]): string[] {
  const seen = new Map<string, number>();
  return docs.map((d) => {
    const t = profileThreads(d);
    const base = `${d.model.name} · ${d.target.host} · ${t} thread${t === 1 ? '' : 's'}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base} (${n})`;
  });
}
