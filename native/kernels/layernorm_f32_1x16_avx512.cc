// AVX-512F layer normalization (and RMSNorm) over contiguous rows, 16 floats per zmm, the same
// three passes as the AVX2 variant (sum and squared deviations from the float mean in double,
// then the affine); every tail is a masked load and store.
// GCC 12 reports the _mm512_undefined_* placeholders inside its own intrinsics as maybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cmath>

#include "kernels.h"

namespace armml {

namespace {

inline __m512d widen_add(__m512d s, __m512 v) {
  const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
  const __m512d hi = _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_shuffle_f32x4(v, v, 0xEE)));
  return _mm512_add_pd(s, _mm512_add_pd(lo, hi));
}

inline __mmask16 tail_mask(size_t len) { return __mmask16((1u << len) - 1u); }

double sum_f64(const float* x, size_t n) {
  __m512d s0 = _mm512_setzero_pd(), s1 = s0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = widen_add(s0, _mm512_loadu_ps(x + i));
    s1 = widen_add(s1, _mm512_loadu_ps(x + i + 16));
  }
  for (; i + 16 <= n; i += 16) s0 = widen_add(s0, _mm512_loadu_ps(x + i));
  if (i < n) s1 = widen_add(s1, _mm512_maskz_loadu_ps(tail_mask(n - i), x + i));
  return _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
}

// sum (x - m)^2 with the squares in double (see the AVX2 variant).
inline void sq_add(__m512d& s0, __m512d& s1, __m512 d) {
  const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(d));
  const __m512d hi = _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_shuffle_f32x4(d, d, 0xEE)));
  s0 = _mm512_fmadd_pd(lo, lo, s0);
  s1 = _mm512_fmadd_pd(hi, hi, s1);
}

double sumsq_f64(const float* x, size_t n, float m) {
  const __m512 vm = _mm512_set1_ps(m);
  __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    sq_add(s0, s1, _mm512_sub_ps(_mm512_loadu_ps(x + i), vm));
    sq_add(s2, s3, _mm512_sub_ps(_mm512_loadu_ps(x + i + 16), vm));
  }
  for (; i + 16 <= n; i += 16) sq_add(s0, s1, _mm512_sub_ps(_mm512_loadu_ps(x + i), vm));
  if (i < n) {
    const __mmask16 k = tail_mask(n - i);
    sq_add(s2, s3, _mm512_maskz_sub_ps(k, _mm512_maskz_loadu_ps(k, x + i), vm));
  }
  return _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)));
}

template <bool G, bool B>
void apply(const float* x, float* y, size_t n, float m, float dm, float rstd, const float* g, const float* b) {
  const __m512 vm = _mm512_set1_ps(m), vdm = _mm512_set1_ps(dm), vr = _mm512_set1_ps(rstd);
  const auto one = [&](size_t i, __mmask16 k) {
    __m512 t = _mm512_mul_ps(_mm512_sub_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), vm), vdm), vr);
    if (G && B) t = _mm512_fmadd_ps(t, _mm512_maskz_loadu_ps(k, g + i), _mm512_maskz_loadu_ps(k, b + i));
    else if (G) t = _mm512_mul_ps(t, _mm512_maskz_loadu_ps(k, g + i));
    else if (B) t = _mm512_add_ps(t, _mm512_maskz_loadu_ps(k, b + i));
    _mm512_mask_storeu_ps(y + i, k, t);
  };
  size_t i = 0;
  for (; i + 16 <= n; i += 16) one(i, 0xffff);
  if (i < n) one(i, tail_mask(n - i));
}

}  // namespace

void layernorm_f32_1x16_avx512(const LayerNormArgs& a, size_t r0, size_t r1) {
  const size_t n = a.n;
  if (n == 0) return;
  const auto run = a.gamma ? (a.beta ? apply<true, true> : apply<true, false>) : (a.beta ? apply<false, true> : apply<false, false>);
  for (size_t r = r0; r < r1; r++) {
    const float* x = a.x + r * n;
    const double mean = a.rms ? 0.0 : sum_f64(x, n) / double(n);
    const float mf = float(mean);
    const double dm = mean - double(mf);
    double var = sumsq_f64(x, n, mf) / double(n) - dm * dm;  // E[(x - mf)^2] = var + (mean - mf)^2
    if (var < 0.0) var = 0.0;
    const double rstd = 1.0 / std::sqrt(var + double(a.eps));
    if (a.mean) a.mean[r] = mf;
    if (a.rstd) a.rstd[r] = float(rstd);
    run(x, a.y + r * n, n, mf, float(dm), float(rstd), a.gamma, a.beta);
  }
}

}  // namespace armml
