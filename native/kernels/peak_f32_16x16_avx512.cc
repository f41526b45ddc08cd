// AVX-512F peak probe: 16 independent zmm FMA chains, enough to cover FMA latency (4 cycles) x
// throughput (2 per cycle on cores with two 512-bit FMA units). Compiled with -mavx512f (this file only).
#include <immintrin.h>

#include "kernels.h"

namespace armml {

double peak_f32_16x16_avx512(size_t reps, float a, float b, float* sink) {
  constexpr int kChains = 16;
  const __m512 va = _mm512_set1_ps(a);
  const __m512 vb = _mm512_set1_ps(b);
  __m512 c[kChains];
#pragma GCC unroll 16
  for (int i = 0; i < kChains; i++) c[i] = _mm512_set1_ps(0.01f * float(i));
  for (size_t r = 0; r < reps; r++) {
#pragma GCC unroll 16
    for (int i = 0; i < kChains; i++) c[i] = _mm512_fmadd_ps(c[i], va, vb);
  }
  __m512 s = c[0];
#pragma GCC unroll 16
  for (int i = 1; i < kChains; i++) s = _mm512_add_ps(s, c[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  float sum = 0.0f;
  for (float x : lanes) sum += x;
  *sink = sum;
  return 2.0 * double(reps) * kChains * 16;
}

}  // namespace armml
