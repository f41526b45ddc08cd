// 6x16 register tile for AVX2+FMA: 12 ymm accumulators (6 rows x 2 vectors of 8), 2 for the B
// row, 1 for the broadcast A value - 15 of the 16 ymm registers. Two FMAs per B load pair keep
// both FMA pipes busy. The epilogue runs on the accumulators before the one store of the tile.
// Compiled with -mavx2 -mfma for this file only; selected at run time.
#include <immintrin.h>

#include "kernels.h"
#include "vmath_avx2.h"

namespace armml {

ARMML_UKERNEL(matmul_f32_6x16_avx2_fma) {
  constexpr int kMr = 6;
  __m256 acc[kMr][2];
#pragma GCC unroll 6
  for (int i = 0; i < kMr; i++) {
    acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    // The C tile is read (or written) after the depth loop: start fetching its lines now.
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 8), _MM_HINT_T0);
  }

  size_t k = 0;
#pragma GCC unroll 4
  for (; k < kc; k++) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    // A sits in L1 (the driver reuses this micro-panel for every B panel); B streams from L2.
    _mm_prefetch(reinterpret_cast<const char*>(b + 16 * 64), _MM_HINT_T0);
#pragma GCC unroll 6
    for (int i = 0; i < kMr; i++) {
      const __m256 av = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
    }
    a += kMr;
    b += 16;
  }
  vmath_avx2::store_tile<kMr, 2>(acc, c, ldc, accumulate, ep);
}

}  // namespace armml
