// NEON activations, 4 floats per q register, same math as the AVX2 variant: Cephes expf
// reduction with a degree-5 polynomial, exact division for sigmoid and tanh. NEON min/max
// propagate NaN, so Relu selects on a comparison to map NaN to 0 like the TypeScript op.
#include <arm_neon.h>

#include <cmath>

#include "kernels.h"

namespace armml {

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

template <class F>
void apply(const float* x, float* y, size_t n, F f) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, f(vld1q_f32(x + i)));
  if (i < n) {
    float buf[4] = {};
    for (size_t k = 0; k < n - i; k++) buf[k] = x[i + k];
    vst1q_f32(buf, f(vld1q_f32(buf)));
    for (size_t k = 0; k < n - i; k++) y[i + k] = buf[k];
  }
}

}  // namespace

void unary_f32_1x4_neon_fma(UnaryOp op, const float* x, float* y, size_t n, float alpha, float beta) {
  const float32x4_t zero = dup(0.0f);
  const float32x4_t one = dup(1.0f);
  const float32x4_t va = dup(alpha);
  const float32x4_t vb = dup(beta);
  switch (op) {
    case UnaryOp::Relu:
      return apply(x, y, n, [&](float32x4_t v) { return vbslq_f32(vcgtq_f32(v, zero), v, zero); });
    case UnaryOp::Clip:
      return apply(x, y, n, [&](float32x4_t v) { return vminq_f32(vmaxq_f32(v, va), vb); });
    case UnaryOp::Sigmoid:
      return apply(x, y, n, [&](float32x4_t v) { return sigmoid(v); });
    case UnaryOp::HardSigmoid:
      // No FMA and a true division by 6: bit-identical to the reference near the zero crossings.
      return apply(x, y, n, [&](float32x4_t v) { return vmaxq_f32(zero, vminq_f32(one, vaddq_f32(vmulq_f32(va, v), vb))); });
    case UnaryOp::HardSwish: {
      const float32x4_t six = dup(6.0f);
      const float32x4_t half = dup(0.5f);
      return apply(x, y, n, [&](float32x4_t v) { return vmulq_f32(v, vmaxq_f32(zero, vminq_f32(one, vaddq_f32(vdivq_f32(v, six), half)))); });
    }
    case UnaryOp::LeakyRelu:
      return apply(x, y, n, [&](float32x4_t v) { return vbslq_f32(vcltq_f32(v, zero), vmulq_f32(v, va), v); });
    case UnaryOp::Exp:
      return apply(x, y, n, [&](float32x4_t v) { return exp_full(v); });
    case UnaryOp::Tanh:
      return apply(x, y, n, [&](float32x4_t v) { return tanh(v); });
  }
}

}  // namespace armml
