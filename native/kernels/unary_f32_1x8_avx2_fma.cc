// AVX2+FMA activations, 8 floats per ymm. exp uses the Cephes expf reduction (x = n ln2 + r,
// degree-5 polynomial for e^r, 2^n through the exponent bits), a few ulp from libm; sigmoid and
// tanh divide exactly rather than using the approximate reciprocal.
#include <immintrin.h>

#include <cmath>

#include "kernels.h"

namespace armml {

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
  }
}

}  // namespace armml
