// 6x16 register tile for AVX2+FMA: 12 ymm accumulators (6 rows x 2 vectors of 8), 2 for the B
// row, 1 for the broadcast A value - 15 of the 16 ymm registers. Two FMAs per B load pair keep
// both FMA pipes busy. The epilogue runs on the accumulators before the one store of the tile.
// Compiled with -mavx2 -mfma for this file only; selected at run time.
//
// One template serves every tile the driver asks for: MR rows (bottom edges), NV vectors of
// columns with masked loads and stores past `cols` (right edges write C directly), and A from
// the packed 6-row panel or read in place from row-major A (see the AVX-512 tile for why).
#include <immintrin.h>

#include "kernels.h"
#include "vmath_avx2.h"

namespace armml {

namespace {

constexpr int kPanelRows = 6;

template <int MR, int NV, bool IN_PLACE>
void tile(size_t kc, const float* a, size_t lda, const float* b, float* c, size_t ldc, size_t cols, bool accumulate,
          const Epilogue* ep) {
  __m256 acc[MR][NV];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) {
#pragma GCC unroll 2
    for (int j = 0; j < NV; j++) acc[i][j] = _mm256_setzero_ps();
    // The C tile is read (or written) after the depth loop: start fetching its lines now.
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    if (NV > 1) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 8), _MM_HINT_T0);
  }
  // In place, rows 0-2 and 3-5 are base + {0, lda*4, lda*8} addressing modes off two bases.
  const float* a3 = a + 3 * lda;
#pragma GCC unroll 4
  for (size_t k = 0; k < kc; k++) {
    __m256 bv[NV];
#pragma GCC unroll 2
    for (int j = 0; j < NV; j++) bv[j] = _mm256_load_ps(b + 8 * j);
    // A sits in L1 (the driver reuses this micro-panel for every B panel); B streams from L2.
    _mm_prefetch(reinterpret_cast<const char*>(b + 16 * 64), _MM_HINT_T0);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      const float* s = IN_PLACE ? (i < 3 ? a : a3) + size_t(i % 3) * lda : a + i;
      const __m256 av = _mm256_broadcast_ss(s);
#pragma GCC unroll 2
      for (int j = 0; j < NV; j++) acc[i][j] = _mm256_fmadd_ps(av, bv[j], acc[i][j]);
    }
    if (IN_PLACE) {
      a++, a3++;
    } else {
      a += kPanelRows;
    }
    b += 16;
  }
  if (cols == size_t(8 * NV)) return vmath_avx2::store_tile<MR, NV>(acc, c, ldc, accumulate, ep);
  vmath_avx2::store_tile_cols<MR, NV>(acc, c, ldc, cols, accumulate, ep);
}

template <int MR>
MatmulTile pick(size_t cols, bool in_place) {
  if (cols <= 8) return in_place ? tile<MR, 1, true> : tile<MR, 1, false>;
  return in_place ? tile<MR, 2, true> : tile<MR, 2, false>;
}

}  // namespace

ARMML_UKERNEL(matmul_f32_6x16_avx2_fma) { tile<6, 2, false>(kc, a, 0, b, c, ldc, 16, accumulate, ep); }

MatmulTile matmul_f32_6x16_avx2_fma_tile(size_t rows, size_t cols, bool in_place_a) {
  using Pick = MatmulTile (*)(size_t, bool);
  static const Pick by_rows[] = {nullptr, pick<1>, pick<2>, pick<3>, pick<4>, pick<5>, pick<6>};
  return rows >= 1 && rows <= 6 && cols >= 1 && cols <= 16 ? by_rows[rows](cols, in_place_a) : nullptr;
}

}  // namespace armml
