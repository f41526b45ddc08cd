// AVX2+FMA activations, 8 floats per ymm, on the vector math of vmath_avx2.h (erf and GELU: the
// series near 0, the Numerical Recipes erfc with an exactly split x^2 elsewhere).
#include <immintrin.h>

#include <cmath>

#include "kernels.h"
#include "vmath_avx2.h"

namespace armml {

namespace {

using namespace vmath_avx2;

template <class F>
void apply(const float* x, float* y, size_t n, F f) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    // Tail through a zero-padded vector so every lane runs the same arithmetic.
    alignas(32) float buf[8] = {};
    for (size_t k = 0; k < n - i; k++) buf[k] = x[i + k];
    _mm256_store_ps(buf, f(_mm256_load_ps(buf)));
    for (size_t k = 0; k < n - i; k++) y[i + k] = buf[k];
  }
}

}  // namespace

void unary_f32_1x8_avx2_fma(UnaryOp op, const float* x, float* y, size_t n, float alpha, float beta) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
  switch (op) {
    case UnaryOp::Relu:
      // max returns its second operand (0) for NaN, like the TypeScript `v > 0 ? v : 0`.
      return apply(x, y, n, [&](__m256 v) { return _mm256_max_ps(v, zero); });
    case UnaryOp::Clip:
      return apply(x, y, n, [&](__m256 v) { return _mm256_min_ps(vb, _mm256_max_ps(va, v)); });
    case UnaryOp::Sigmoid:
      return apply(x, y, n, [&](__m256 v) { return sigmoid(v); });
    case UnaryOp::HardSigmoid:
      // Separate multiply and add (no FMA) and a true division by 6 keep these bit-identical to the
      // reference: both ops cancel near their zero crossing, where a different rounding shows.
      return apply(x, y, n, [&](__m256 v) { return _mm256_max_ps(zero, _mm256_min_ps(one, _mm256_add_ps(_mm256_mul_ps(va, v), vb))); });
    case UnaryOp::HardSwish: {
      const __m256 six = _mm256_set1_ps(6.0f);
      const __m256 half = _mm256_set1_ps(0.5f);
      return apply(x, y, n, [&](__m256 v) {
        return _mm256_mul_ps(v, _mm256_max_ps(zero, _mm256_min_ps(one, _mm256_add_ps(_mm256_div_ps(v, six), half))));
      });
    }
    case UnaryOp::LeakyRelu:
      return apply(x, y, n, [&](__m256 v) {
        return _mm256_blendv_ps(v, _mm256_mul_ps(v, va), _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
      });
    case UnaryOp::Exp:
      return apply(x, y, n, [&](__m256 v) { return exp_full(v); });
    case UnaryOp::Tanh:
      return apply(x, y, n, [&](__m256 v) { return tanh(v); });
    case UnaryOp::Erf:
      return apply(x, y, n, [&](__m256 v) { return erf(v); });
    case UnaryOp::Gelu:
      return apply(x, y, n, [&](__m256 v) { return gelu_erf(v); });
    case UnaryOp::GeluTanh:
      return apply(x, y, n, [&](__m256 v) { return gelu_tanh(v); });
  }
}

}  // namespace armml
