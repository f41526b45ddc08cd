// Direct depthwise convolution shared by the dwconv2d_f32 variants: the walk over channels, row
// blocks and column blocks is written once here against a small vector-traits interface that each
// variant file implements for its ISA (and compiles with its own flags). Include only from a
// dwconv2d_* kernel file.
//
// Layout of the work, per channel plane (DwconvArgs in kernels.h):
// - Rows: blocks of R = T::rows(K) output rows (4 to 8), then the rows left (compiled_height). A
//   block keeps its R accumulator vectors in registers across every tap and walks the input rows
//   it needs once: each vector loaded from an input row feeds the FMAs of every output row of the
//   block that uses that row (3x3 stride 1, R = 8: 10 input rows, 30 loads for 72 FMAs). Input
//   rows outside the plane (top/bottom padding) are skipped.
// - Columns: blocks of L outputs (one vector). A block whose loads all fall inside the row is
//   "interior" and uses plain unmasked loads; the others (left/right padding, a partial last
//   block, planes narrower than a vector) use masked loads (x86: lanes outside the row read as 0
//   and never touch memory) or, on ISAs without masked loads, a small zero-filled copy of just
//   that block's span of each input row. Interior blocks are a precomputed range, so their loop
//   has no bounds checks.
// - Stride 2 loads 2L consecutive floats per tap pair and splits even/odd lanes, so taps kx and
//   kx+1 share one load. The traits may keep the lanes in their own order (AVX2 does, saving a
//   cross-lane permute per load) and put them in memory order once per output vector (fix2).
// - Epilogue on the accumulators: bias (the accumulators start from it), the residual, then ReLU
//   or Clip on the registers before the one store. Other activations (exp-based and the like) run
//   over the block's output rows right after they are stored, while still in L1, with the same
//   vector math (their code is then not repeated for every accumulator).
// Fast paths: 3x3 and 5x5, stride 1 or 2 (same both ways), no dilation. Everything else (any
// kH x kW, dilation, other strides) takes one generic path: one output row at a time, still a
// vector of outputs per FMA, taps in runtime loops.
//
// A traits class T provides:
//   V, L (lanes), rows(K) (output rows per block for a K x K filter), kMasked (masked loads
//   available), M1/M2 (masks for L and 2L floats), set1, fma(x, w, acc) = acc + x*w, add, load,
//   store, load2(p, even, odd) over 2L floats, fix2 (stride-2 lane order -> memory order),
//   mask1(lo, hi) / mask2(lo, hi) (elements lo <= i < hi of the L or 2L floats at p),
//   load_m / store_m / load2_m (only the mask's elements are touched; the others load as 0; on
//   ISAs without masked loads these are scalar loops, used for partial blocks only), relu,
//   clip(v, lo, hi), act (any Activation, the family's vmath), pin (an empty asm that makes a
//   loaded vector opaque, so the compiler keeps it in a register for all the FMAs that use it
//   instead of folding the load into each of them: unaligned 64-byte loads split cache lines, and
//   reloading an input vector for every output row doubled the loads).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "kernels.h"

// The walk is one function per (kernel size, stride, block height): everything it calls must be
// inlined into it (weights and accumulators then stay in registers); GCC's inliner otherwise
// gives up on functions this large.
#if defined(__GNUC__)
#define ARMML_DW_INLINE inline __attribute__((always_inline))
#define ARMML_DW_INLINE_LAMBDA __attribute__((always_inline))
#else
#define ARMML_DW_INLINE inline
#define ARMML_DW_INLINE_LAMBDA
#endif

namespace armml {
namespace dwconv {
// Internal linkage: files built for different ISAs (AVX2 and AVX-512, baseline and SVE) each keep
// their own copy, so the linker can never hand one ISA's callers a copy compiled for another.
namespace {

/** p + i as an address only: border blocks form the address of masked-out (never read) elements. */
ARMML_DW_INLINE const float* offset(const float* p, long i) {
  return reinterpret_cast<const float*>(reinterpret_cast<intptr_t>(p) + intptr_t(i) * intptr_t(sizeof(float)));
}

struct Geometry {
  long H, W, outH, outW, kH, kW, sH, sW, dH, dW, padT, padL;
  Activation act;
  float alpha, beta;
  bool act_in_registers;  // None, Relu, Clip: applied before the store
};

struct Plane {
  const float* x;
  const float* w;
  float* y;
  const float* res;
  float bias;
};

inline bool cheap(Activation a) { return a == Activation::None || a == Activation::Relu || a == Activation::Clip; }

/**
 * The epilogue of R output rows: row pointers, residual rows and the in-register activation,
 * set up once per row block so each stored vector costs an add, a max/min and the store.
 */
template <class T, int R>
struct Out {
  using V = typename T::V;
  float* y[R];
  const float* res[R];
  bool has_res;
  int mode;  // 0 none, 1 Relu, 2 Clip (other activations: activate_rows afterwards)
  V lo, hi;
  Out(const Geometry& g, const Plane& p, long oy0) {
    for (int r = 0; r < R; r++) {
      y[r] = p.y + (oy0 + r) * g.outW;
      res[r] = p.res ? p.res + (oy0 + r) * g.outW : nullptr;
    }
    has_res = p.res != nullptr;
    mode = g.act == Activation::Relu ? 1 : g.act == Activation::Clip ? 2 : 0;
    lo = T::set1(g.alpha);
    hi = T::set1(g.beta);
  }
  ARMML_DW_INLINE V finish(V v) const {
    if (mode == 1) return T::relu(v);
    if (mode == 2) return T::clip(v, lo, hi);
    return v;
  }
  /** Row r, columns [ox0, ox0 + L). */
  ARMML_DW_INLINE void full(int r, long ox0, V v) const {
    if (has_res) v = T::add(v, T::load(res[r] + ox0));
    T::store(y[r] + ox0, finish(v));
  }
  /** Row r, the lanes of m (a block cut by the row's end). */
  ARMML_DW_INLINE void part(int r, long ox0, V v, typename T::M1 m) const {
    if (has_res) v = T::add(v, T::load_m(res[r] + ox0, m));
    T::store_m(y[r] + ox0, finish(v), m);
  }
};

/** The activations not applied on the registers: over finished output rows, still in L1. */
template <class T>
inline void activate_rows(const Geometry& g, float* y, long rows) {
  if (g.act_in_registers) return;
  for (long r = 0; r < rows; r++) {
    float* row = y + r * g.outW;
    long i = 0;
    for (; i + T::L <= g.outW; i += T::L) T::store(row + i, T::act(T::load(row + i), g.act, g.alpha, g.beta));
    if (i < g.outW) {
      const typename T::M1 m = T::mask1(0, g.outW - i);
      T::store_m(row + i, T::act(T::load_m(row + i, m), g.act, g.alpha, g.beta), m);
    }
  }
}

/**
 * The taps of one R-row block for one column block: acc[r] += sum over (ky, kx) of
 * w[ky][kx] * input(row oy0*S + r*S + ky, columns ib + kx + l*S). ld(j, off) returns the vector of
 * input row j at column offset off from the block's first input column (stride 1); ld2(j, off,
 * even, odd) the even/odd split of the 2L floats there (stride 2).
 */
template <class T, int KH, int KW, int S, int R, class Ld, class Ld2>
ARMML_DW_INLINE void block_taps(typename T::V (&acc)[R], const typename T::V* wv, const float* const* xr, Ld&& ld, Ld2&& ld2) {
  using V = typename T::V;
  constexpr int NJ = (R - 1) * S + KH;
#pragma GCC unroll 16
  for (int j = 0; j < NJ; j++) {
    if (!xr[j]) continue;  // padding row: contributes nothing
    if constexpr (S == 1) {
#pragma GCC unroll 8
      for (int kx = 0; kx < KW; kx++) {
        V v = ld(j, kx);
        T::pin(v);
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
          const int ky = j - r;
          if (ky >= 0 && ky < KH) acc[r] = T::fma(v, wv[ky * KW + kx], acc[r]);
        }
      }
    } else {
#pragma GCC unroll 8
      for (int kx = 0; kx < KW; kx += 2) {
        V even, odd;
        ld2(j, kx, even, odd);
        T::pin(even);
        T::pin(odd);
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
          const int ky = j - r * S;
          if (ky < 0 || ky >= KH) continue;
          acc[r] = T::fma(even, wv[ky * KW + kx], acc[r]);
          if (kx + 1 < KW) acc[r] = T::fma(odd, wv[ky * KW + kx + 1], acc[r]);
        }
      }
    }
  }
}

/** Output rows [oy0, oy0 + R) of one plane: the fast path (KH x KW, stride S both ways, no dilation). */
template <class T, int KH, int KW, int S, int R>
void rows_fast(const Geometry& g, const Plane& p, long oy0) {
  using V = typename T::V;
  constexpr int L = T::L;
  constexpr int NJ = (R - 1) * S + KH;
  // Floats a column block's loads span (stride 2 loads 2L at offsets 0, 2, ..., KW - 1).
  constexpr long kSpan = S == 1 ? L + KW - 1 : 2 * L + KW - 1;
  const float* xr[NJ];
#pragma GCC unroll 16
  for (int j = 0; j < NJ; j++) {
    const long iy = oy0 * S - g.padT + j;
    xr[j] = iy >= 0 && iy < g.H ? p.x + iy * g.W : nullptr;
  }
  V wv[KH * KW];
#pragma GCC unroll 32
  for (int k = 0; k < KH * KW; k++) wv[k] = T::set1(p.w[k]);
  const V bias = T::set1(p.bias);
  const Out<T, R> out(g, p, oy0);

  // Column blocks start at multiples of L. Interior blocks (every lane of every tap inside the
  // row, and a full block of outputs) are [c_lo, c_hi) in block units; the rest are borders.
  const long blocks = (g.outW + L - 1) / L;
  const long c_lo = std::min(blocks, (g.padL + L * S - 1) / (L * S));
  const long last = g.W - kSpan + g.padL;  // largest ox0 * S whose span ends inside the row
  long c_hi = last < 0 ? 0 : std::min(g.outW / L, last / (L * S) + 1);
  c_hi = std::max(c_hi, c_lo);

  auto interior = [&](long ox0) ARMML_DW_INLINE_LAMBDA {
    const long ib = ox0 * S - g.padL;
    V acc[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) acc[r] = bias;
    block_taps<T, KH, KW, S, R>(
        acc, wv, xr, [&](int j, int off) { return T::load(xr[j] + ib + off); },
        [&](int j, int off, V& e, V& o) { T::load2(xr[j] + ib + off, e, o); });
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) out.full(r, ox0, S == 2 ? T::fix2(acc[r]) : acc[r]);
  };
  auto border = [&](long ox0) ARMML_DW_INLINE_LAMBDA {
    const long ib = ox0 * S - g.padL;
    V acc[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) acc[r] = bias;
    if constexpr (T::kMasked) {
      if constexpr (S == 1) {
        typename T::M1 m[KW];
#pragma GCC unroll 8
        for (int kx = 0; kx < KW; kx++) m[kx] = T::mask1(-(ib + kx), g.W - (ib + kx));
        block_taps<T, KH, KW, S, R>(
            acc, wv, xr, [&](int j, int off) { return T::load_m(offset(xr[j], ib + off), m[off]); },
            [&](int, int, V&, V&) {});
      } else {
        typename T::M2 m[(KW + 1) / 2];
#pragma GCC unroll 8
        for (int kx = 0; kx < KW; kx += 2) m[kx / 2] = T::mask2(-(ib + kx), g.W - (ib + kx));
        block_taps<T, KH, KW, S, R>(
            acc, wv, xr, [&](int, int) { return bias; },
            [&](int j, int off, V& e, V& o) { T::load2_m(offset(xr[j], ib + off), m[off / 2], e, o); });
      }
    } else {
      // No masked loads: copy the block's span of each input row, zeros outside the row.
      float stage[NJ][kSpan];
      const long lo = std::min(kSpan, std::max(0L, -ib)), hi = std::max(lo, std::min(kSpan, g.W - ib));
      for (int j = 0; j < NJ; j++) {
        if (!xr[j]) continue;
        std::fill(stage[j], stage[j] + lo, 0.0f);
        if (hi > lo) std::memcpy(stage[j] + lo, xr[j] + ib + lo, size_t(hi - lo) * sizeof(float));
        std::fill(stage[j] + hi, stage[j] + kSpan, 0.0f);
      }
      block_taps<T, KH, KW, S, R>(
          acc, wv, xr, [&](int j, int off) { return T::load(stage[j] + off); },
          [&](int j, int off, V& e, V& o) { T::load2(stage[j] + off, e, o); });
    }
    const long n = std::min<long>(L, g.outW - ox0);
    if (n == L) {
#pragma GCC unroll 16
      for (int r = 0; r < R; r++) out.full(r, ox0, S == 2 ? T::fix2(acc[r]) : acc[r]);
    } else {
      const typename T::M1 m = T::mask1(0, n);
#pragma GCC unroll 16
      for (int r = 0; r < R; r++) out.part(r, ox0, S == 2 ? T::fix2(acc[r]) : acc[r], m);
    }
  };
  for (long c = 0; c < c_lo; c++) border(c * L);
  for (long c = c_lo; c < c_hi; c++) interior(c * L);
  for (long c = c_hi; c < blocks; c++) border(c * L);
  activate_rows<T>(g, p.y + oy0 * g.outW, R);
}

/** One output row, any geometry: taps in runtime loops, a vector of outputs per FMA. */
template <class T>
void row_generic(const Geometry& g, const Plane& p, long oy) {
  using V = typename T::V;
  constexpr int L = T::L;
  const Out<T, 1> out(g, p, oy);
  for (long ox0 = 0; ox0 < g.outW; ox0 += L) {
    V acc = T::set1(p.bias);
    for (long ky = 0; ky < g.kH; ky++) {
      const long iy = oy * g.sH - g.padT + ky * g.dH;
      if (iy < 0 || iy >= g.H) continue;
      const float* row = p.x + iy * g.W;
      for (long kx = 0; kx < g.kW; kx++) {
        const long ib = ox0 * g.sW - g.padL + kx * g.dW;
        V v;
        if (g.sW == 1 && ib >= 0 && ib + L <= g.W) {
          v = T::load(row + ib);
        } else if (g.sW == 1 && T::kMasked) {
          v = T::load_m(offset(row, ib), T::mask1(-ib, g.W - ib));
        } else {
          float lanes[L];
          for (int l = 0; l < L; l++) {
            const long ix = ib + l * g.sW;
            lanes[l] = ix >= 0 && ix < g.W ? row[ix] : 0.0f;
          }
          v = T::load(lanes);
        }
        acc = T::fma(v, T::set1(p.w[ky * g.kW + kx]), acc);
      }
    }
    if (ox0 + L <= g.outW)
      out.full(0, ox0, acc);
    else
      out.part(0, ox0, acc, T::mask1(0, g.outW - ox0));
  }
  activate_rows<T>(g, p.y + oy * g.outW, 1);
}

template <class T>
using RowsFn = void (*)(const Geometry&, const Plane&, long);

/**
 * Block heights compiled for a kernel of R rows: R, R-1, R-2 (planes of 7, 14, 28 rows with
 * R = 8 split into full blocks and one tail block), 4, 2 and 1 (any other tail, largest first).
 * Fewer heights than 1..R keep the compile time of the variant files down.
 */
constexpr bool compiled_height(int h, int R) { return h == R || h == R - 1 || h == R - 2 || h == 4 || h == 2 || h == 1; }

template <class T, int K, int S, int H, bool Compiled = compiled_height(H, T::rows(K))>
struct HeightFn {
  static constexpr RowsFn<T> fn = nullptr;
};
template <class T, int K, int S, int H>
struct HeightFn<T, K, S, H, true> {
  static constexpr RowsFn<T> fn = rows_fast<T, K, K, S, H>;
};

/** fn[h - 1] computes h rows, or is null when that height is not compiled (1 <= h <= T::rows(K)). */
template <class T, int K, int S, int... H>
struct FastRowsOf {
  static constexpr RowsFn<T> fn[sizeof...(H)] = {HeightFn<T, K, S, H + 1>::fn...};
};
template <class T, int K, int S, int... H>
constexpr const RowsFn<T>* fast_rows(std::integer_sequence<int, H...>) {
  return FastRowsOf<T, K, S, H...>::fn;
}

/** The whole call: picks the fast path for the geometry, then walks channels and row blocks. */
template <class T>
void run(const DwconvArgs& a) {
  Geometry g;
  g.H = long(a.H), g.W = long(a.W), g.outH = long(a.outH), g.outW = long(a.outW);
  g.kH = long(a.kH), g.kW = long(a.kW), g.sH = long(a.strideH), g.sW = long(a.strideW);
  g.dH = long(a.dilH), g.dW = long(a.dilW), g.padT = long(a.padT), g.padL = long(a.padL);
  g.act = a.ep.act, g.alpha = a.ep.alpha, g.beta = a.ep.beta;
  g.act_in_registers = cheap(a.ep.act);

  const RowsFn<T>* fn = nullptr;
  long R = 1;
  if (a.kH == a.kW && a.dilH == 1 && a.dilW == 1 && a.strideH == a.strideW) {
    const size_t k = a.kH, s = a.strideH;
    using H3 = std::make_integer_sequence<int, T::rows(3)>;
    using H5 = std::make_integer_sequence<int, T::rows(5)>;
    if (k == 3 && s == 1) fn = fast_rows<T, 3, 1>(H3{}), R = T::rows(3);
    if (k == 3 && s == 2) fn = fast_rows<T, 3, 2>(H3{}), R = T::rows(3);
    if (k == 5 && s == 1) fn = fast_rows<T, 5, 1>(H5{}), R = T::rows(5);
    if (k == 5 && s == 2) fn = fast_rows<T, 5, 2>(H5{}), R = T::rows(5);
  }

  const long oy_end = std::min(long(a.oy1), g.outH);
  for (size_t c = 0; c < a.channels; c++) {
    Plane p;
    p.x = a.x + c * a.H * a.W;
    p.w = a.w + c * a.kH * a.kW;
    p.y = a.y + c * a.outH * a.outW;
    p.res = a.ep.residual ? a.ep.residual + c * a.outH * a.outW : nullptr;
    p.bias = a.ep.bias_m ? a.ep.bias_m[c] : 0.0f;
    long oy = long(a.oy0);
    if (fn) {
      // Blocks of R rows, then the rows left in the tallest compiled blocks that fit.
      for (; oy + R <= oy_end; oy += R) fn[R - 1](g, p, oy);
      while (oy < oy_end) {
        long h = oy_end - oy;
        while (!fn[h - 1]) h--;
        fn[h - 1](g, p, oy);
        oy += h;
      }
    } else {
      for (; oy < oy_end; oy++) row_generic<T>(g, p, oy);
    }
  }
}

}  // namespace
}  // namespace dwconv
}  // namespace armml
