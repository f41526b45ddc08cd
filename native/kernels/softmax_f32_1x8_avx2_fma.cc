// AVX2+FMA softmax over contiguous rows, 8 floats per ymm, three passes per row: the max (four
// accumulators), exp(x - max) on the vector exp of vmath_avx2.h with the sum in double, then the
// scale (or, for LogSoftmax, x - max - log(sum)). The row's last n % 8 elements go through a
// buffer padded with -inf, whose lanes add exp(-inf) = 0 to the sum.
#include <immintrin.h>

#include <cmath>

#include "kernels.h"
#include "vmath_avx2.h"

namespace armml {

namespace {

using namespace vmath_avx2;

// exp(x) for x <= 0 (all softmax needs): no overflow handling; below -87.3 (under FLT_MIN) the
// result is 0, so masked (-inf) positions give exactly 0. NaN passes through.
inline __m256 exp_nonpos(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.3f);
  const __m256 y = exp_clamped(_mm256_max_ps(lo, x));  // NaN is the second operand: kept
  return _mm256_andnot_ps(_mm256_cmp_ps(x, lo, _CMP_LT_OQ), y);
}

inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

inline double hsum(__m256d v) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
  return _mm_cvtsd_f64(s);
}

inline void add_f64(__m256d& s0, __m256d& s1, __m256 e) {
  s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
  s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
}

void row(const float* x, float* y, size_t n, bool log) {
  const size_t n8 = n / 8 * 8, tail = n - n8;
  alignas(32) float buf[8];
  if (tail) {
    for (size_t k = 0; k < 8; k++) buf[k] = k < tail ? x[n8 + k] : -INFINITY;
  }
  // Max. A NaN the max skips still reaches the sum through exp(NaN), so the row ends up NaN.
  __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
    m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + i + 8));
    m2 = _mm256_max_ps(m2, _mm256_loadu_ps(x + i + 16));
    m3 = _mm256_max_ps(m3, _mm256_loadu_ps(x + i + 24));
  }
  for (; i < n8; i += 8) m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
  if (tail) m1 = _mm256_max_ps(m1, _mm256_load_ps(buf));
  const float mx = hmax(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
  const __m256 vm = _mm256_set1_ps(mx);
  // exp(x - max), summed in double; stored for Softmax (LogSoftmax reads x again).
  __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
  i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 e0 = exp_nonpos(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    const __m256 e1 = exp_nonpos(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vm));
    if (!log) {
      _mm256_storeu_ps(y + i, e0);
      _mm256_storeu_ps(y + i + 8, e1);
    }
    add_f64(s0, s1, e0);
    add_f64(s2, s3, e1);
  }
  for (; i < n8; i += 8) {
    const __m256 e = exp_nonpos(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    if (!log) _mm256_storeu_ps(y + i, e);
    add_f64(s0, s1, e);
  }
  __m256 etail = _mm256_setzero_ps();
  if (tail) {
    etail = exp_nonpos(_mm256_sub_ps(_mm256_load_ps(buf), vm));
    add_f64(s2, s3, etail);
  }
  const double sum = hsum(_mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)));
  if (log) {
    const __m256 vl = _mm256_set1_ps(float(std::log(sum)));
    for (i = 0; i < n8; i += 8) _mm256_storeu_ps(y + i, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm), vl));
    if (tail) _mm256_store_ps(buf, _mm256_sub_ps(_mm256_sub_ps(_mm256_load_ps(buf), vm), vl));
  } else {
    const __m256 vs = _mm256_set1_ps(float(1.0 / sum));
    for (i = 0; i + 16 <= n8; i += 16) {
      _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), vs));
      _mm256_storeu_ps(y + i + 8, _mm256_mul_ps(_mm256_loadu_ps(y + i + 8), vs));
    }
    for (; i < n8; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), vs));
    if (tail) _mm256_store_ps(buf, _mm256_mul_ps(etail, vs));
  }
  for (size_t k = 0; k < tail; k++) y[n8 + k] = buf[k];
}

}  // namespace

void softmax_f32_1x8_avx2_fma(const SoftmaxArgs& a, size_t r0, size_t r1) {
  if (a.n == 0) return;
  for (size_t r = r0; r < r1; r++) row(a.x + r * a.n, a.y + r * a.n, a.n, a.log);
}

}  // namespace armml
