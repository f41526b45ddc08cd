// AVX2+FMA vector math shared by the kernels compiled for AVX2 (activations, GEMM and conv
// epilogues). Include only from files built with -mavx2 -mfma. exp uses the Cephes expf reduction
// (x = n ln2 + r, degree-5 polynomial for e^r, 2^n through the exponent bits), a few ulp from libm;
// sigmoid and tanh divide exactly rather than using the approximate reciprocal.
#pragma once
#include <immintrin.h>

#include <cmath>

#include "kernels.h"

namespace armml {
namespace vmath_avx2 {
// Internal linkage: files built for different ISAs (AVX2 and AVX-512, baseline and SVE) each keep
// their own copy, so the linker can never hand one ISA's callers a copy compiled for another.
namespace {

// exp for x already clamped to [-88.376, 88.376] (NaN passes through). With `top` the range
// extends to 88.7228 (FLT_MAX): 2^n is then applied as 2^(n-1) * 2 so n = 128 does not overflow
// the exponent field (n = -127 would then underflow it, so callers flush that range to 0).
inline __m256 exp_clamped(__m256 x, bool top = false) {
  const __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  __m256 r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(top ? 126 : 127)), 23);
  const __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  return top ? _mm256_add_ps(y, y) : y;
}

// Argument order of min/max keeps NaN: the second operand is returned when either is NaN.
inline __m256 clamp_exp_arg(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(88.3762626647949f), x);
  return _mm256_max_ps(_mm256_set1_ps(-88.3762626647949f), x);
}

// Below -87.3 the result is under FLT_MIN (1.2e-38): flushed to 0.
inline __m256 exp_full(__m256 x) {
  const __m256 xc = _mm256_max_ps(_mm256_set1_ps(-87.3f), _mm256_min_ps(_mm256_set1_ps(88.7228f), x));
  const __m256 y = exp_clamped(xc, true);
  const __m256 over = _mm256_cmp_ps(x, _mm256_set1_ps(88.72283935546875f), _CMP_GT_OQ);
  const __m256 under = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3f), _CMP_LT_OQ);
  return _mm256_andnot_ps(under, _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), over));
}

inline __m256 sigmoid(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp_clamped(clamp_exp_arg(_mm256_sub_ps(_mm256_setzero_ps(), x)));
  return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

// |x| < 0.625: odd polynomial (Cephes tanhf); otherwise 1 - 2 / (e^{2|x|} + 1) with x's sign.
inline __m256 tanh(__m256 x) {
  const __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
  const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp_clamped(_mm256_min_ps(_mm256_set1_ps(44.0f), _mm256_add_ps(ax, ax)));
  const __m256 big = _mm256_or_ps(sign, _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one))));
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  const __m256 use_small = _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ);
  const __m256 r = _mm256_blendv_ps(big, small, use_small);
  // NaN inputs: the comparisons above are false, so keep NaN explicitly.
  return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// exp(h + l) for a value split in two floats (|l| up to a few units): the reduction
// x = n ln2 + r is taken on h + l with r = (h - n C1 - n C2) + l, so the rounding of h + l to float
// does not reach the result (erfc's exp(-z^2) needs this far out in the tail). Results below
// FLT_MIN flush to 0; h is expected <= 88 (no overflow handling).
inline __m256 exp_dd(__m256 h, __m256 l) {
  h = _mm256_max_ps(h, _mm256_set1_ps(-100.0f));
  const __m256 s = _mm256_add_ps(h, l);
  const __m256 sc = _mm256_max_ps(_mm256_set1_ps(-87.3f), s);
  const __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(sc, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  __m256 r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), h);
  r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), r);
  r = _mm256_add_ps(r, l);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
  const __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  return _mm256_andnot_ps(_mm256_cmp_ps(s, _mm256_set1_ps(-87.3f), _CMP_LT_OQ), y);
}

// erf(w) / w as a polynomial in w^2: the Maclaurin series to w^13, within 1e-9 relative of erf
// for |w| < 0.5 (where 1 - erfc would lose relative precision).
inline __m256 erf_small(__m256 w) {
  const __m256 s = _mm256_mul_ps(w, w);
  __m256 p = _mm256_set1_ps(1.2055332981789664e-4f);
  p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(-8.548327023450852e-4f));
  p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(5.223977625442188e-3f));
  p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(-2.6866170645131252e-2f));
  p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(1.1283791670955126e-1f));
  p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(-3.7612638903183754e-1f));
  p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(1.1283791670955126f));
  return _mm256_mul_ps(w, p);
}

// erfc(z) for z >= 0 with z^2 = z2h + z2l exactly: the Chebyshev-fitted erfc of Numerical
// Recipes (fractional error < 1.2e-7 for every z, the same fit the TypeScript Erf uses),
// t exp(-z^2 + P(t)) with t = 1 / (1 + z/2). Relative accuracy holds far into the tail.
inline __m256 erfc_nr(__m256 z, __m256 z2h, __m256 z2l) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.5f), z, one));
  __m256 p = _mm256_set1_ps(0.17087277f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.82215223f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.48851587f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.13520398f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.27886807f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.18628806f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.09678418f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.37409196f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.00002368f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.26551223f));
  return _mm256_mul_ps(t, exp_dd(_mm256_sub_ps(_mm256_setzero_ps(), z2h), _mm256_sub_ps(p, z2l)));
}

// erf: the series below |x| = 0.5, 1 - erfc above (|x| capped at 10, where erfc is 0 in float);
// within 1e-7 relative of libm, NaN kept.
inline __m256 erf(__m256 x) {
  const __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
  const __m256 ax = _mm256_min_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), _mm256_set1_ps(10.0f));
  const __m256 z2h = _mm256_mul_ps(ax, ax);
  const __m256 z2l = _mm256_fmsub_ps(ax, ax, z2h);
  const __m256 big = _mm256_or_ps(sign, _mm256_sub_ps(_mm256_set1_ps(1.0f), erfc_nr(ax, z2h, z2l)));
  const __m256 r = _mm256_blendv_ps(big, erf_small(x), _mm256_cmp_ps(ax, _mm256_set1_ps(0.5f), _CMP_LT_OQ));
  return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// GELU x Phi(x): Phi = 1/2 + erf(x/sqrt2)/2 near 0, else erfc(|x|/sqrt2)/2 (x < 0) or
// 1 - erfc/2 (x > 0), with (x/sqrt2)^2 = x^2/2 split exactly, so negative x keeps its relative
// accuracy down to the underflow of the result. -inf gives NaN (-inf * 0), as the formula does.
inline __m256 gelu_erf(__m256 x) {
  const __m256 half = _mm256_set1_ps(0.5f);
  const __m256 rsqrt2 = _mm256_set1_ps(0.70710678118654752f);
  const __m256 w = _mm256_mul_ps(x, rsqrt2);
  // The erfc branch on x capped at +-15 (erfc(15/sqrt2) is 0 in float) so x^2 stays finite.
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-15.0f)), _mm256_set1_ps(15.0f));
  const __m256 z = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_mul_ps(xc, rsqrt2));
  const __m256 x2 = _mm256_mul_ps(xc, xc);
  const __m256 ec = erfc_nr(z, _mm256_mul_ps(half, x2), _mm256_mul_ps(half, _mm256_fmsub_ps(xc, xc, x2)));
  const __m256 hec = _mm256_mul_ps(half, ec);
  const __m256 big = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), hec), hec, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
  const __m256 small = _mm256_fmadd_ps(half, erf_small(w), half);
  const __m256 aw = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), w);
  return _mm256_mul_ps(x, _mm256_blendv_ps(big, small, _mm256_cmp_ps(aw, half, _CMP_LT_OQ)));
}

// GELU's tanh form as x * sigmoid(v), v = 2 sqrt(2/pi) (x + 0.044715 x^3): no cancellation in
// 1 + tanh for negative x. v is formed in double and split into two floats for exp_dd, so
// exp(-|v|) keeps its relative accuracy in the tail (a float v would lose |v| ulp there).
// -inf gives NaN (-inf * 0), as the formula does.
inline __m256 gelu_tanh(__m256 x) {
  const auto absv = [](__m256d d) {
    const __m256d k = _mm256_fmadd_pd(_mm256_set1_pd(0.07135481627260025), _mm256_mul_pd(d, d), _mm256_set1_pd(1.5957691216057308));
    // Capped at 100 (exp(-100) is 0 in float) so the split below stays finite.
    return _mm256_min_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), _mm256_mul_pd(d, k)), _mm256_set1_pd(100.0));
  };
  const __m256d v0 = absv(_mm256_cvtps_pd(_mm256_castps256_ps128(x)));
  const __m256d v1 = absv(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)));
  const __m128 h0 = _mm256_cvtpd_ps(v0), h1 = _mm256_cvtpd_ps(v1);
  const __m128 l0 = _mm256_cvtpd_ps(_mm256_sub_pd(v0, _mm256_cvtps_pd(h0)));
  const __m128 l1 = _mm256_cvtpd_ps(_mm256_sub_pd(v1, _mm256_cvtps_pd(h1)));
  const __m256 zero = _mm256_setzero_ps();
  const __m256 e = exp_dd(_mm256_sub_ps(zero, _mm256_set_m128(h1, h0)), _mm256_sub_ps(zero, _mm256_set_m128(l1, l0)));
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 num = _mm256_blendv_ps(e, one, _mm256_cmp_ps(x, zero, _CMP_GE_OQ));
  return _mm256_mul_ps(x, _mm256_div_ps(num, _mm256_add_ps(one, e)));
}

/** One epilogue activation on 8 lanes (see Activation in kernels.h). */
inline __m256 activate(__m256 v, Activation act, float alpha, float beta) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 half = _mm256_set1_ps(0.5f);
  switch (act) {
    case Activation::None:
      return v;
    case Activation::Relu:
      return _mm256_max_ps(v, zero);
    case Activation::Clip:
      return _mm256_min_ps(_mm256_set1_ps(beta), _mm256_max_ps(_mm256_set1_ps(alpha), v));
    case Activation::Sigmoid:
      return sigmoid(v);
    case Activation::SiLU:
      return _mm256_mul_ps(v, sigmoid(v));
    case Activation::HardSwish:
      return _mm256_mul_ps(v, _mm256_max_ps(zero, _mm256_min_ps(one, _mm256_add_ps(_mm256_div_ps(v, _mm256_set1_ps(6.0f)), half))));
    case Activation::Gelu:
      return gelu_erf(v);
    case Activation::GeluTanh:
      return gelu_tanh(v);
    case Activation::LeakyRelu:
      return _mm256_blendv_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(alpha)), _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
    case Activation::HardSigmoid:
      return _mm256_max_ps(zero, _mm256_min_ps(one, _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(alpha), v), _mm256_set1_ps(beta))));
  }
  return v;
}

}  // namespace
}  // namespace vmath_avx2
}  // namespace armml

namespace armml {
namespace vmath_avx2 {
// Internal linkage: files built for different ISAs (AVX2 and AVX-512, baseline and SVE) each keep
// their own copy, so the linker can never hand one ISA's callers a copy compiled for another.
namespace {

/**
 * Stores an MR x (8*NV) accumulator tile: adds C when accumulating, then the epilogue's biases,
 * residual and ReLU on the registers before the one store. Other activations then run over the
 * stored tile (still in L1) in a loop, so their code is not repeated for every register.
 */
template <int MR, int NV>
inline void store_tile(__m256 (&acc)[MR][NV], float* c, size_t ldc, bool accumulate, const Epilogue* ep) {
  const bool relu = ep && ep->act == Activation::Relu;
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
#pragma GCC unroll 8
    for (int j = 0; j < NV; j++) {
      float* cp = c + i * ldc + 8 * j;
      __m256 v = acc[i][j];
      if (accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(cp));
      if (ep) {
        if (ep->bias_m) v = _mm256_add_ps(v, _mm256_set1_ps(ep->bias_m[i]));
        if (ep->bias_n) v = _mm256_add_ps(v, _mm256_loadu_ps(ep->bias_n + 8 * j));
        if (ep->residual) v = _mm256_add_ps(v, _mm256_loadu_ps(ep->residual + i * ep->ldr + 8 * j));
        if (relu) v = _mm256_max_ps(v, _mm256_setzero_ps());
      }
      _mm256_storeu_ps(cp, v);
    }
  }
  if (ep && ep->act != Activation::None && !relu) {
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NV; j++) {
        float* cp = c + i * ldc + 8 * j;
        _mm256_storeu_ps(cp, activate(_mm256_loadu_ps(cp), ep->act, ep->alpha, ep->beta));
      }
  }
}

/**
 * store_tile for a right-edge tile: only columns [0, cols) of each row are read and written
 * (masked loads and stores). Edge tiles are few, so every activation runs on the registers here.
 */
template <int MR, int NV>
inline void store_tile_cols(__m256 (&acc)[MR][NV], float* c, size_t ldc, size_t cols, bool accumulate,
                            const Epilogue* ep) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i mask[NV];
  for (int j = 0; j < NV; j++) {
    const long left = long(cols) - 8 * j;
    mask[j] = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(left < 0 ? 0 : left > 8 ? 8 : left)), iota);
  }
  const bool relu = ep && ep->act == Activation::Relu;
  const bool later = ep && ep->act != Activation::None && !relu;
  for (int i = 0; i < MR; i++) {
    for (int j = 0; j < NV; j++) {
      float* cp = c + i * ldc + 8 * j;
      const __m256i m = mask[j];
      __m256 v = acc[i][j];
      if (accumulate) v = _mm256_add_ps(v, _mm256_maskload_ps(cp, m));
      if (ep) {
        if (ep->bias_m) v = _mm256_add_ps(v, _mm256_set1_ps(ep->bias_m[i]));
        if (ep->bias_n) v = _mm256_add_ps(v, _mm256_maskload_ps(ep->bias_n + 8 * j, m));
        if (ep->residual) v = _mm256_add_ps(v, _mm256_maskload_ps(ep->residual + i * ep->ldr + 8 * j, m));
        if (relu) v = _mm256_max_ps(v, _mm256_setzero_ps());
        if (later) v = activate(v, ep->act, ep->alpha, ep->beta);
      }
      _mm256_maskstore_ps(cp, m, v);
    }
  }
}

/**
 * One output row of a GEMV block: c[j] = act(alpha*acc[j] + beta*c[j] + bm + bias_n[j] + res[j])
 * for j < n, where bm, bias_n and res may be null and beta == 0 never reads c. The last n % 8
 * columns go through padded copies, so they get the same vector math as the rest.
 */
inline void gemv_store_row(const float* acc, float* c, size_t n, float alpha, float beta, const float* bm,
                           const float* bias_n, const float* res, const Epilogue& ep) {
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  const __m256 vm = _mm256_set1_ps(bm ? *bm : 0.0f);
  const auto one = [&](const float* a, float* cp, const float* bn, const float* r) {
    __m256 v = _mm256_mul_ps(va, _mm256_loadu_ps(a));
    if (beta != 0.0f) v = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cp), v);
    if (bm) v = _mm256_add_ps(v, vm);
    if (bn) v = _mm256_add_ps(v, _mm256_loadu_ps(bn));
    if (r) v = _mm256_add_ps(v, _mm256_loadu_ps(r));
    _mm256_storeu_ps(cp, activate(v, ep.act, ep.alpha, ep.beta));
  };
  size_t j = 0;
  for (; j + 8 <= n; j += 8) one(acc + j, c + j, bias_n ? bias_n + j : nullptr, res ? res + j : nullptr);
  if (j < n) {
    float ta[8] = {}, tc[8] = {}, tb[8] = {}, tr[8] = {};
    const size_t t = n - j;
    for (size_t q = 0; q < t; q++) {
      ta[q] = acc[j + q];
      if (beta != 0.0f) tc[q] = c[j + q];
      if (bias_n) tb[q] = bias_n[j + q];
      if (res) tr[q] = res[j + q];
    }
    one(ta, tc, bias_n ? tb : nullptr, res ? tr : nullptr);
    for (size_t q = 0; q < t; q++) c[j + q] = tc[q];
  }
}

}  // namespace
}  // namespace vmath_avx2
}  // namespace armml
