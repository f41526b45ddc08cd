// AVX2+FMA peak probe: 12 independent ymm FMA chains, enough to cover FMA latency (4-5 cycles) x
// throughput (2 per cycle) on current Intel and AMD cores. Compiled with -mavx2 -mfma (this file only).
#include <immintrin.h>

#include "kernels.h"

namespace armml {

double peak_f32_12x8_avx2_fma(size_t reps, float a, float b, float* sink) {
  const __m256 va = _mm256_set1_ps(a);
  const __m256 vb = _mm256_set1_ps(b);
  __m256 c0 = _mm256_set1_ps(0.00f), c1 = _mm256_set1_ps(0.01f), c2 = _mm256_set1_ps(0.02f);
  __m256 c3 = _mm256_set1_ps(0.03f), c4 = _mm256_set1_ps(0.04f), c5 = _mm256_set1_ps(0.05f);
  __m256 c6 = _mm256_set1_ps(0.06f), c7 = _mm256_set1_ps(0.07f), c8 = _mm256_set1_ps(0.08f);
  __m256 c9 = _mm256_set1_ps(0.09f), c10 = _mm256_set1_ps(0.10f), c11 = _mm256_set1_ps(0.11f);
  for (size_t r = 0; r < reps; r++) {
    c0 = _mm256_fmadd_ps(c0, va, vb);
    c1 = _mm256_fmadd_ps(c1, va, vb);
    c2 = _mm256_fmadd_ps(c2, va, vb);
    c3 = _mm256_fmadd_ps(c3, va, vb);
    c4 = _mm256_fmadd_ps(c4, va, vb);
    c5 = _mm256_fmadd_ps(c5, va, vb);
    c6 = _mm256_fmadd_ps(c6, va, vb);
    c7 = _mm256_fmadd_ps(c7, va, vb);
    c8 = _mm256_fmadd_ps(c8, va, vb);
    c9 = _mm256_fmadd_ps(c9, va, vb);
    c10 = _mm256_fmadd_ps(c10, va, vb);
    c11 = _mm256_fmadd_ps(c11, va, vb);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                           _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  float sum = 0.0f;
  for (float x : lanes) sum += x;
  *sink = sum;
  return 2.0 * double(reps) * 12 * 8;
}

}  // namespace armml
