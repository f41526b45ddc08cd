// NEON vector math shared by the AArch64 kernels (activations, GEMM and conv epilogues), the
// same math as vmath_avx2.h: Cephes expf reduction with a degree-5 polynomial, exact division for
// sigmoid and tanh. NEON min/max propagate NaN, so Relu selects on a comparison to map NaN to 0.
#pragma once
#include <arm_neon.h>

#include <cmath>

#include "kernels.h"

namespace armml {
namespace vmath_neon {
// Internal linkage: files built for different ISAs (AVX2 and AVX-512, baseline and SVE) each keep
// their own copy, so the linker can never hand one ISA's callers a copy compiled for another.
namespace {

inline float32x4_t dup(float v) { return vdupq_n_f32(v); }

// exp for x already clamped to [-88.376, 88.376] (NaN passes through). With `top` the range
// extends to 88.7228 (FLT_MAX), applying 2^n as 2^(n-1) * 2 (see the AVX2 variant).
inline float32x4_t exp_clamped(float32x4_t x, bool top = false) {
  const float32x4_t fx = vrndmq_f32(vfmaq_f32(dup(0.5f), x, dup(1.44269504088896341f)));
  float32x4_t r = vfmsq_f32(x, fx, dup(0.693359375f));
  r = vfmsq_f32(r, fx, dup(-2.12194440e-4f));
  float32x4_t p = dup(1.9875691500e-4f);
  p = vfmaq_f32(dup(1.3981999507e-3f), p, r);
  p = vfmaq_f32(dup(8.3334519073e-3f), p, r);
  p = vfmaq_f32(dup(4.1665795894e-2f), p, r);
  p = vfmaq_f32(dup(1.6666665459e-1f), p, r);
  p = vfmaq_f32(dup(5.0000001201e-1f), p, r);
  p = vfmaq_f32(vaddq_f32(r, dup(1.0f)), p, vmulq_f32(r, r));
  const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(fx), vdupq_n_s32(top ? 126 : 127)), 23);
  const float32x4_t y = vmulq_f32(p, vreinterpretq_f32_s32(e));
  return top ? vaddq_f32(y, y) : y;
}

inline float32x4_t clamp_exp_arg(float32x4_t x) { return vmaxq_f32(vminq_f32(x, dup(88.3762626647949f)), dup(-88.3762626647949f)); }

// Below -87.3 the result is under FLT_MIN (1.2e-38): flushed to 0.
inline float32x4_t exp_full(float32x4_t x) {
  float32x4_t y = exp_clamped(vmaxq_f32(vminq_f32(x, dup(88.7228f)), dup(-87.3f)), true);
  y = vbslq_f32(vcgtq_f32(x, dup(88.72283935546875f)), dup(INFINITY), y);
  return vbslq_f32(vcltq_f32(x, dup(-87.3f)), dup(0.0f), y);
}

inline float32x4_t sigmoid(float32x4_t x) {
  const float32x4_t e = exp_clamped(clamp_exp_arg(vnegq_f32(x)));
  return vdivq_f32(dup(1.0f), vaddq_f32(dup(1.0f), e));
}

inline float32x4_t tanh(float32x4_t x) {
  const float32x4_t ax = vabsq_f32(x);
  const float32x4_t e = exp_clamped(vminq_f32(vaddq_f32(ax, ax), dup(44.0f)));
  float32x4_t big = vsubq_f32(dup(1.0f), vdivq_f32(dup(2.0f), vaddq_f32(e, dup(1.0f))));
  big = vbslq_f32(vdupq_n_u32(0x80000000u), x, big);  // copy x's sign
  const float32x4_t z = vmulq_f32(x, x);
  float32x4_t p = dup(-5.70498872745e-3f);
  p = vfmaq_f32(dup(2.06390887954e-2f), p, z);
  p = vfmaq_f32(dup(-5.37397155531e-2f), p, z);
  p = vfmaq_f32(dup(1.33314422036e-1f), p, z);
  p = vfmaq_f32(dup(-3.33332819422e-1f), p, z);
  const float32x4_t small = vfmaq_f32(x, vmulq_f32(p, z), x);
  const float32x4_t r = vbslq_f32(vcltq_f32(ax, dup(0.625f)), small, big);
  return vbslq_f32(vceqq_f32(x, x), r, x);  // NaN stays NaN
}

// exp(h + l) for a value split in two floats (see vmath_avx2.h): the reduction is taken on h + l,
// r = (h - n C1 - n C2) + l. Results below FLT_MIN flush to 0; h is expected <= 88.
inline float32x4_t exp_dd(float32x4_t h, float32x4_t l) {
  h = vmaxq_f32(h, dup(-100.0f));
  const float32x4_t s = vaddq_f32(h, l);
  const float32x4_t fx = vrndmq_f32(vfmaq_f32(dup(0.5f), vmaxq_f32(s, dup(-87.3f)), dup(1.44269504088896341f)));
  float32x4_t r = vfmsq_f32(h, fx, dup(0.693359375f));
  r = vfmsq_f32(r, fx, dup(-2.12194440e-4f));
  r = vaddq_f32(r, l);
  float32x4_t p = dup(1.9875691500e-4f);
  p = vfmaq_f32(dup(1.3981999507e-3f), p, r);
  p = vfmaq_f32(dup(8.3334519073e-3f), p, r);
  p = vfmaq_f32(dup(4.1665795894e-2f), p, r);
  p = vfmaq_f32(dup(1.6666665459e-1f), p, r);
  p = vfmaq_f32(dup(5.0000001201e-1f), p, r);
  p = vfmaq_f32(vaddq_f32(r, dup(1.0f)), p, vmulq_f32(r, r));
  const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(fx), vdupq_n_s32(127)), 23);
  const float32x4_t y = vmulq_f32(p, vreinterpretq_f32_s32(e));
  return vbslq_f32(vcltq_f32(s, dup(-87.3f)), dup(0.0f), y);
}

// erf(w) / w as the Maclaurin series in w^2 to w^13 (|w| < 0.5), as in vmath_avx2.h.
inline float32x4_t erf_small(float32x4_t w) {
  const float32x4_t s = vmulq_f32(w, w);
  float32x4_t p = dup(1.2055332981789664e-4f);
  p = vfmaq_f32(dup(-8.548327023450852e-4f), p, s);
  p = vfmaq_f32(dup(5.223977625442188e-3f), p, s);
  p = vfmaq_f32(dup(-2.6866170645131252e-2f), p, s);
  p = vfmaq_f32(dup(1.1283791670955126e-1f), p, s);
  p = vfmaq_f32(dup(-3.7612638903183754e-1f), p, s);
  p = vfmaq_f32(dup(1.1283791670955126f), p, s);
  return vmulq_f32(w, p);
}

// erfc(z) for z >= 0 with z^2 = z2h + z2l exactly: Numerical Recipes' t exp(-z^2 + P(t)).
inline float32x4_t erfc_nr(float32x4_t z, float32x4_t z2h, float32x4_t z2l) {
  const float32x4_t t = vdivq_f32(dup(1.0f), vfmaq_f32(dup(1.0f), z, dup(0.5f)));
  float32x4_t p = dup(0.17087277f);
  p = vfmaq_f32(dup(-0.82215223f), p, t);
  p = vfmaq_f32(dup(1.48851587f), p, t);
  p = vfmaq_f32(dup(-1.13520398f), p, t);
  p = vfmaq_f32(dup(0.27886807f), p, t);
  p = vfmaq_f32(dup(-0.18628806f), p, t);
  p = vfmaq_f32(dup(0.09678418f), p, t);
  p = vfmaq_f32(dup(0.37409196f), p, t);
  p = vfmaq_f32(dup(1.00002368f), p, t);
  p = vfmaq_f32(dup(-1.26551223f), p, t);
  return vmulq_f32(t, exp_dd(vnegq_f32(z2h), vsubq_f32(p, z2l)));
}

// erf: the series below |x| = 0.5, 1 - erfc above, as in vmath_avx2.h.
inline float32x4_t erf(float32x4_t x) {
  const float32x4_t ax = vminq_f32(vabsq_f32(x), dup(10.0f));
  const float32x4_t z2h = vmulq_f32(ax, ax);
  const float32x4_t z2l = vnegq_f32(vfmsq_f32(z2h, ax, ax));
  float32x4_t big = vsubq_f32(dup(1.0f), erfc_nr(ax, z2h, z2l));
  big = vbslq_f32(vdupq_n_u32(0x80000000u), x, big);  // copy x's sign
  const float32x4_t r = vbslq_f32(vcltq_f32(ax, dup(0.5f)), erf_small(x), big);
  return vbslq_f32(vceqq_f32(x, x), r, x);  // NaN stays NaN
}

// GELU x Phi(x), as in vmath_avx2.h.
inline float32x4_t gelu_erf(float32x4_t x) {
  const float32x4_t half = dup(0.5f);
  const float32x4_t w = vmulq_f32(x, dup(0.70710678118654752f));
  const float32x4_t xc = vminq_f32(vmaxq_f32(x, dup(-15.0f)), dup(15.0f));
  const float32x4_t z = vabsq_f32(vmulq_f32(xc, dup(0.70710678118654752f)));
  const float32x4_t x2 = vmulq_f32(xc, xc);
  const float32x4_t x2l = vnegq_f32(vfmsq_f32(x2, xc, xc));
  const float32x4_t hec = vmulq_f32(half, erfc_nr(z, vmulq_f32(half, x2), vmulq_f32(half, x2l)));
  const float32x4_t big = vbslq_f32(vcltq_f32(x, dup(0.0f)), hec, vsubq_f32(dup(1.0f), hec));
  const float32x4_t small = vfmaq_f32(half, half, erf_small(w));
  return vmulq_f32(x, vbslq_f32(vcltq_f32(vabsq_f32(w), half), small, big));
}

// GELU's tanh form as x * sigmoid(v), v formed in double and split for exp_dd (see vmath_avx2.h).
inline float32x4_t gelu_tanh(float32x4_t x) {
  const auto absv = [](float64x2_t d) {
    const float64x2_t k = vfmaq_f64(vdupq_n_f64(1.5957691216057308), vmulq_f64(d, d), vdupq_n_f64(0.07135481627260025));
    return vminq_f64(vabsq_f64(vmulq_f64(d, k)), vdupq_n_f64(100.0));
  };
  const float64x2_t v0 = absv(vcvt_f64_f32(vget_low_f32(x)));
  const float64x2_t v1 = absv(vcvt_high_f64_f32(x));
  const float32x4_t h = vcvt_high_f32_f64(vcvt_f32_f64(v0), v1);
  const float64x2_t r0 = vsubq_f64(v0, vcvt_f64_f32(vget_low_f32(h)));
  const float64x2_t r1 = vsubq_f64(v1, vcvt_high_f64_f32(h));
  const float32x4_t l = vcvt_high_f32_f64(vcvt_f32_f64(r0), r1);
  const float32x4_t e = exp_dd(vnegq_f32(h), vnegq_f32(l));
  const float32x4_t num = vbslq_f32(vcgeq_f32(x, dup(0.0f)), dup(1.0f), e);
  return vmulq_f32(x, vdivq_f32(num, vaddq_f32(dup(1.0f), e)));
}

/** One epilogue activation on 4 lanes (see Activation in kernels.h). */
inline float32x4_t activate(float32x4_t v, Activation act, float alpha, float beta) {
  const float32x4_t zero = dup(0.0f);
  const float32x4_t one = dup(1.0f);
  const float32x4_t half = dup(0.5f);
  switch (act) {
    case Activation::None:
      return v;
    case Activation::Relu:
      return vbslq_f32(vcgtq_f32(v, zero), v, zero);
    case Activation::Clip:
      return vminq_f32(vmaxq_f32(v, dup(alpha)), dup(beta));
    case Activation::Sigmoid:
      return sigmoid(v);
    case Activation::SiLU:
      return vmulq_f32(v, sigmoid(v));
    case Activation::HardSwish:
      return vmulq_f32(v, vmaxq_f32(zero, vminq_f32(one, vaddq_f32(vdivq_f32(v, dup(6.0f)), half))));
    case Activation::Gelu:
      return gelu_erf(v);
    case Activation::GeluTanh:
      return gelu_tanh(v);
    case Activation::LeakyRelu:
      return vbslq_f32(vcltq_f32(v, zero), vmulq_f32(v, dup(alpha)), v);
    case Activation::HardSigmoid:
      // One fused multiply-add, written out: GCC contracted the separate multiply and add anyway.
      return vmaxq_f32(zero, vminq_f32(one, vfmaq_f32(dup(beta), dup(alpha), v)));
  }
  return v;
}

/**
 * Stores accumulator (i, j) of a tile, 4 floats at c + i*ldc + 4*j: adds C when accumulating, the
 * bias per row and per column and the residual, and applies ReLU (`relu`) on the register. The
 * kernels call it once per accumulator with constant i, j, on named variables: an accumulator
 * array handed to a loop stays addressable, and GCC 12 then stores every accumulator to the stack
 * in each iteration of the depth loop.
 */
__attribute__((always_inline)) inline void store_vec(float32x4_t v, float* c, size_t ldc, int i, int j, bool accumulate,
                                                     const Epilogue* ep, bool relu) {
  float* cp = c + i * ldc + 4 * j;
  if (accumulate) v = vaddq_f32(v, vld1q_f32(cp));
  if (ep) {
    if (ep->bias_m) v = vaddq_f32(v, vdupq_n_f32(ep->bias_m[i]));
    if (ep->bias_n) v = vaddq_f32(v, vld1q_f32(ep->bias_n + 4 * j));
    if (ep->residual) v = vaddq_f32(v, vld1q_f32(ep->residual + i * ep->ldr + 4 * j));
    if (relu) v = vbslq_f32(vcgtq_f32(v, dup(0.0f)), v, dup(0.0f));
  }
  vst1q_f32(cp, v);
}

/**
 * The activations other than ReLU, over a stored rows x cols tile (still in L1; cols a multiple
 * of 4), so their code is not repeated for every accumulator.
 */
inline void activate_tile(float* c, size_t ldc, size_t rows, size_t cols, const Epilogue& ep) {
  for (size_t i = 0; i < rows; i++)
    for (size_t j = 0; j < cols; j += 4) {
      float* cp = c + i * ldc + j;
      vst1q_f32(cp, activate(vld1q_f32(cp), ep.act, ep.alpha, ep.beta));
    }
}

/**
 * One output row of a GEMV block: c[j] = act(alpha*acc[j] + beta*c[j] + bm + bias_n[j] + res[j])
 * for j < n, where bm, bias_n and res may be null and beta == 0 never reads c. The last n % 4
 * columns go through padded copies, so they get the same vector math as the rest.
 */
inline void gemv_store_row(const float* acc, float* c, size_t n, float alpha, float beta, const float* bm,
                           const float* bias_n, const float* res, const Epilogue& ep) {
  const float32x4_t va = dup(alpha), vb = dup(beta), vm = dup(bm ? *bm : 0.0f);
  const auto one = [&](const float* a, float* cp, const float* bn, const float* r) {
    float32x4_t v = vmulq_f32(va, vld1q_f32(a));
    if (beta != 0.0f) v = vfmaq_f32(v, vb, vld1q_f32(cp));
    if (bm) v = vaddq_f32(v, vm);
    if (bn) v = vaddq_f32(v, vld1q_f32(bn));
    if (r) v = vaddq_f32(v, vld1q_f32(r));
    vst1q_f32(cp, activate(v, ep.act, ep.alpha, ep.beta));
  };
  size_t j = 0;
  for (; j + 4 <= n; j += 4) one(acc + j, c + j, bias_n ? bias_n + j : nullptr, res ? res + j : nullptr);
  if (j < n) {
    float ta[4] = {}, tc[4] = {}, tb[4] = {}, tr[4] = {};
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
}  // namespace vmath_neon
}  // namespace armml
