// AVX-512F softmax over contiguous rows, 16 floats per zmm, the same three passes as the AVX2
// variant (max, exp(x - max) with the sum in double, scale or x - max - log(sum)); the row's
// tail is a masked load (padded with -inf) and a masked store. exp: the Cephes reduction and
// degree-5 polynomial of vmath_avx2.h with 2^n applied by VSCALEFPS, so results down to the
// subnormal range keep their value instead of flushing to 0.
// GCC 12 reports the _mm512_undefined_* placeholders inside its own intrinsics as maybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cmath>

#include "kernels.h"

namespace armml {

namespace {

// exp(x) for x <= 0 (NaN passes through, -inf gives 0).
inline __m512 exp_nonpos(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);  // NaN is the second operand: kept
  const __m512 fx = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, fx);
}

inline void add_f64(__m512d& s0, __m512d& s1, __m512 e) {
  s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
  s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_shuffle_f32x4(e, e, 0xEE))));
}

void row(const float* x, float* y, size_t n, bool log) {
  const size_t n16 = n / 16 * 16, tail = n - n16;
  const __mmask16 tm = __mmask16((1u << tail) - 1u);
  const __m512 ninf = _mm512_set1_ps(-INFINITY);
  const __m512 xt = _mm512_mask_loadu_ps(ninf, tm, x + n16);
  // Max. A NaN the max skips still reaches the sum through exp(NaN), so the row ends up NaN.
  __m512 m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + i));
    m1 = _mm512_max_ps(m1, _mm512_loadu_ps(x + i + 16));
    m2 = _mm512_max_ps(m2, _mm512_loadu_ps(x + i + 32));
    m3 = _mm512_max_ps(m3, _mm512_loadu_ps(x + i + 48));
  }
  for (; i < n16; i += 16) m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + i));
  m1 = _mm512_max_ps(m1, xt);
  const float mx = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
  const __m512 vm = _mm512_set1_ps(mx);
  __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
  i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 e0 = exp_nonpos(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm));
    const __m512 e1 = exp_nonpos(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), vm));
    if (!log) {
      _mm512_storeu_ps(y + i, e0);
      _mm512_storeu_ps(y + i + 16, e1);
    }
    add_f64(s0, s1, e0);
    add_f64(s2, s3, e1);
  }
  for (; i < n16; i += 16) {
    const __m512 e = exp_nonpos(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm));
    if (!log) _mm512_storeu_ps(y + i, e);
    add_f64(s0, s1, e);
  }
  const __m512 et = exp_nonpos(_mm512_sub_ps(xt, vm));
  if (tail) add_f64(s2, s3, et);
  const double sum = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)));
  if (log) {
    const __m512 vl = _mm512_set1_ps(float(std::log(sum)));
    for (i = 0; i < n16; i += 16) _mm512_storeu_ps(y + i, _mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm), vl));
    _mm512_mask_storeu_ps(y + n16, tm, _mm512_sub_ps(_mm512_sub_ps(xt, vm), vl));
  } else {
    const __m512 vs = _mm512_set1_ps(float(1.0 / sum));
    for (i = 0; i < n16; i += 16) _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_loadu_ps(y + i), vs));
    _mm512_mask_storeu_ps(y + n16, tm, _mm512_mul_ps(et, vs));
  }
}

}  // namespace

void softmax_f32_1x16_avx512(const SoftmaxArgs& a, size_t r0, size_t r1) {
  if (a.n == 0) return;
  for (size_t r = r0; r < r1; r++) row(a.x + r * a.n, a.y + r * a.n, a.n, a.log);
}

}  // namespace armml
