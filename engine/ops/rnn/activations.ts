// The named activation functions RNN, GRU and LSTM accept in their `activations` attribute.
import { OpError } from '../types.js';

/** Applies an activation in place to buf[off, off + n). */
export type ActivationFn = (buf: Float32Array, off: number, n: number) => void;

function sigmoid(v: number): number {
  // Split by sign so exp never overflows.
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

interface ActivationDef {
  /** Default alpha/beta when the node's lists run out; undefined when the function takes none. */
  alpha?: number;
  beta?: number;
  make(alpha: number, beta: number): ActivationFn;
}

const DEFS: Record<string, ActivationDef> = {
  relu: {
    make: () => (b, o, n) => {
      for (let i = o; i < o + n; i++) if (!(b[i] > 0)) b[i] = 0;
    },
  },
  tanh: {
    make: () => (b, o, n) => {
      for (let i = o; i < o + n; i++) b[i] = Math.tanh(b[i]);
    },
  },
  sigmoid: {
    make: () => (b, o, n) => {
      for (let i = o; i < o + n; i++) b[i] = sigmoid(b[i]);
    },
  },
  affine: {
    alpha: 1,
    beta: 0,
    make: (a, c) => (b, o, n) => {
      for (let i = o; i < o + n; i++) b[i] = a * b[i] + c;
    },
  },
  leakyrelu: {
    alpha: 0.01,
    make: (a) => (b, o, n) => {
      for (let i = o; i < o + n; i++) if (b[i] < 0) b[i] *= a;
    },
  },
  thresholdedrelu: {
    alpha: 1,
    make: (a) => (b, o, n) => {
      for (let i = o; i < o + n; i++) if (!(b[i] > a)) b[i] = 0;
    },
  },
  scaledtanh: {
    alpha: 1,
    beta: 1,
    make: (a, c) => (b, o, n) => {
      for (let i = o; i < o + n; i++) b[i] = a * Math.tanh(c * b[i]);
    },
  },
  hardsigmoid: {
    alpha: 0.2,
    beta: 0.5,
    make: (a, c) => (b, o, n) => {
      for (let i = o; i < o + n; i++) b[i] = Math.max(0, Math.min(1, a * b[i] + c));
    },
  },
  elu: {
    alpha: 1,
    make: (a) => (b, o, n) => {
      for (let i = o; i < o + n; i++) if (b[i] < 0) b[i] = a * Math.expm1(b[i]);
    },
  },
  softsign: {
    make: () => (b, o, n) => {
      for (let i = o; i < o + n; i++) b[i] = b[i] / (1 + Math.abs(b[i]));
    },
  },
  softplus: {
    make: () => (b, o, n) => {
      for (let i = o; i < o + n; i++) {
        const v = b[i];
        b[i] = v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
      }
    },
  },
};

/**
 * Builds the activation functions of a recurrent node: `names` (or the defaults, repeated per
 * direction), taking alpha/beta values in order from the node's lists for the functions that use them.
 */
export function buildActivations(
  op: string,
  names: string[] | undefined,
  defaults: string[],
  directions: number,
  alphas: number[],
  betas: number[],
): ActivationFn[][] {
  const list = names ?? Array.from({ length: directions }, () => defaults).flat();
  if (list.length !== defaults.length * directions) {
    throw new OpError(
      `${op}: activations lists ${list.length} functions, expected ${defaults.length} per direction (${defaults.length * directions})`,
    );
  }
  let ai = 0;
  let bi = 0;
  const fns = list.map((name) => {
    const def = DEFS[name.toLowerCase()];
    if (!def) throw new OpError(`${op}: activation '${name}' is not supported`);
    const alpha = def.alpha !== undefined ? (ai < alphas.length ? alphas[ai++] : def.alpha) : 0;
    const beta = def.beta !== undefined ? (bi < betas.length ? betas[bi++] : def.beta) : 0;
    return def.make(alpha, beta);
  });
  return Array.from({ length: directions }, (_, d) => fns.slice(d * defaults.length, (d + 1) * defaults.length));
}
