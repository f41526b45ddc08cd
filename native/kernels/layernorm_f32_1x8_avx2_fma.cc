// AVX2+FMA layer normalization (and RMSNorm) over contiguous rows, 8 floats per ymm, three
// passes per row: the sum in double (every vector widened, so a large offset cannot swamp the
// mean), the squared deviations from the float mean in double (the exact variance follows from
// the offset of the float mean), then ((x - mean_f) - (mean - mean_f)) * rstd * gamma + beta.
#include <immintrin.h>

#include <cmath>

#include "kernels.h"

namespace armml {

namespace {

inline double hsum(__m256d v) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
  return _mm_cvtsd_f64(s);
}

inline __m256d widen_add(__m256d s, __m256 v) {
  return _mm256_add_pd(s, _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))));
}

// Loads the last `len` (< 8) floats of p, zeros elsewhere.
inline __m256 load_tail(const float* p, size_t len) {
  alignas(32) float buf[8] = {};
  for (size_t k = 0; k < len; k++) buf[k] = p[k];
  return _mm256_load_ps(buf);
}

double sum_f64(const float* x, size_t n) {
  __m256d s0 = _mm256_setzero_pd(), s1 = s0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = widen_add(s0, _mm256_loadu_ps(x + i));
    s1 = widen_add(s1, _mm256_loadu_ps(x + i + 8));
  }
  for (; i + 8 <= n; i += 8) s0 = widen_add(s0, _mm256_loadu_ps(x + i));
  if (i < n) s1 = widen_add(s1, load_tail(x + i, n - i));
  return hsum(_mm256_add_pd(s0, s1));
}

// sum (x - m)^2 with the squares in double (so rows of tiny values do not square into float
// subnormals); the deviations themselves are float.
inline void sq_add(__m256d& s0, __m256d& s1, __m256 d) {
  const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(d)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(d, 1));
  s0 = _mm256_fmadd_pd(lo, lo, s0);
  s1 = _mm256_fmadd_pd(hi, hi, s1);
}

double sumsq_f64(const float* x, size_t n, float m) {
  const __m256 vm = _mm256_set1_ps(m);
  __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    sq_add(s0, s1, _mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    sq_add(s2, s3, _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vm));
  }
  for (; i + 8 <= n; i += 8) sq_add(s0, s1, _mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
  if (i < n) {
    alignas(32) static const int32_t ones[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    const __m256 mask = _mm256_castsi256_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(ones + 8 - (n - i))));
    sq_add(s2, s3, _mm256_and_ps(mask, _mm256_sub_ps(load_tail(x + i, n - i), vm)));
  }
  return hsum(_mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)));
}

template <bool G, bool B>
void apply(const float* x, float* y, size_t n, float m, float dm, float rstd, const float* g, const float* b) {
  const __m256 vm = _mm256_set1_ps(m), vdm = _mm256_set1_ps(dm), vr = _mm256_set1_ps(rstd);
  const auto one = [&](const float* xp, float* yp, const float* gp, const float* bp) {
    __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(xp), vm), vdm), vr);
    if (G && B) t = _mm256_fmadd_ps(t, _mm256_loadu_ps(gp), _mm256_loadu_ps(bp));
    else if (G) t = _mm256_mul_ps(t, _mm256_loadu_ps(gp));
    else if (B) t = _mm256_add_ps(t, _mm256_loadu_ps(bp));
    _mm256_storeu_ps(yp, t);
  };
  size_t i = 0;
  for (; i + 8 <= n; i += 8) one(x + i, y + i, G ? g + i : nullptr, B ? b + i : nullptr);
  if (i < n) {
    alignas(32) float tx[8] = {}, ty[8], tg[8] = {}, tb[8] = {};
    const size_t len = n - i;
    for (size_t k = 0; k < len; k++) {
      tx[k] = x[i + k];
      if (G) tg[k] = g[i + k];
      if (B) tb[k] = b[i + k];
    }
    one(tx, ty, tg, tb);
    for (size_t k = 0; k < len; k++) y[i + k] = ty[k];
  }
}

}  // namespace

void layernorm_f32_1x8_avx2_fma(const LayerNormArgs& a, size_t r0, size_t r1) {
  const size_t n = a.n;
  if (n == 0) return;
  const auto run = a.gamma ? (a.beta ? apply<true, true> : apply<true, false>) : (a.beta ? apply<false, true> : apply<false, false>);
  for (size_t r = r0; r < r1; r++) {
    const float* x = a.x + r * n;
    const double mean = a.rms ? 0.0 : sum_f64(x, n) / double(n);
    const float mf = float(mean);
    const double dm = mean - double(mf);
    // E[(x - mf)^2] = var + (mean - mf)^2 (a NaN stays NaN).
    double var = sumsq_f64(x, n, mf) / double(n) - dm * dm;
    if (var < 0.0) var = 0.0;
    const double rstd = 1.0 / std::sqrt(var + double(a.eps));
    if (a.mean) a.mean[r] = mf;
    if (a.rstd) a.rstd[r] = float(rstd);
    run(x, a.y + r * n, n, mf, float(dm), float(rstd), a.gamma, a.beta);
  }
}

}  // namespace armml
