// NEON vector math shared by the AArch64 kernels (activations, GEMM and conv epilogues), the
// same math as vmath_avx2.h: Cephes expf reduction with a degree-5 polynomial, exact division for
// sigmoid and tanh. NEON min/max propagate NaN, so Relu selects on a comparison to map NaN to 0.
#pragma once
#include <arm_neon.h>

#include <cmath>

#include "kernels.h"

namespace armml {
namespace vmath_neon {

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

// erf by Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7), as in vmath_avx2.h.
inline float32x4_t erf(float32x4_t x) {
  const float32x4_t ax = vminq_f32(vabsq_f32(x), dup(9.0f));
  const float32x4_t t = vdivq_f32(dup(1.0f), vfmaq_f32(dup(1.0f), ax, dup(0.3275911f)));
  float32x4_t p = dup(1.061405429f);
  p = vfmaq_f32(dup(-1.453152027f), p, t);
  p = vfmaq_f32(dup(1.421413741f), p, t);
  p = vfmaq_f32(dup(-0.284496736f), p, t);
  p = vfmaq_f32(dup(0.254829592f), p, t);
  p = vmulq_f32(p, t);
  const float32x4_t e = exp_clamped(vnegq_f32(vmulq_f32(ax, ax)));
  float32x4_t r = vfmsq_f32(dup(1.0f), p, e);
  r = vbslq_f32(vdupq_n_u32(0x80000000u), x, r);  // copy x's sign
  return vbslq_f32(vceqq_f32(x, x), r, x);
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
      return vmulq_f32(vmulq_f32(half, v), vaddq_f32(one, erf(vmulq_f32(v, dup(0.70710678118654752f)))));
    case Activation::GeluTanh: {
      const float32x4_t inner = vmulq_f32(dup(0.7978845608028654f), vfmaq_f32(v, vmulq_f32(dup(0.044715f), v), vmulq_f32(v, v)));
      return vmulq_f32(vmulq_f32(half, v), vaddq_f32(one, tanh(inner)));
    }
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

}  // namespace vmath_neon
}  // namespace armml
