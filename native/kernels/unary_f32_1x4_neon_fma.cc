// NEON activations, 4 floats per q register, same math as the AVX2 variant: Cephes expf
// reduction with a degree-5 polynomial, exact division for sigmoid and tanh; erf and GELU as in
// vmath_avx2.h. NEON min/max propagate NaN, so Relu selects on a comparison to map NaN to 0 like
// the TypeScript op.
#include <arm_neon.h>

#include <cmath>

#include "kernels.h"
#include "vmath_neon.h"

namespace armml {

namespace {

using namespace vmath_neon;

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
    case UnaryOp::Erf:
      return apply(x, y, n, [&](float32x4_t v) { return erf(v); });
    case UnaryOp::Gelu:
      return apply(x, y, n, [&](float32x4_t v) { return gelu_erf(v); });
    case UnaryOp::GeluTanh:
      return apply(x, y, n, [&](float32x4_t v) { return gelu_tanh(v); });
  }
}

}  // namespace armml
