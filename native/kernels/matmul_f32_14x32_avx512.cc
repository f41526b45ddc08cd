// 14x32 register tile for AVX-512F: 28 zmm accumulators (14 rows x 2 vectors of 16), 2 for the B
// row, 1 for the broadcast A value - 31 of the 32 zmm registers. Per depth step: 2 loads of B,
// 14 broadcasts, 28 FMAs (14 cycles on two 512-bit FMA units), so loads never bind. The epilogue
// runs on the accumulators before the one store of the tile. Compiled with -mavx512f (plus AVX2
// for the shared epilogue math) for this file only.
//
// One template serves every tile the driver asks for: MR rows (bottom edges compute only their
// own rows), NV vectors of columns with masked loads and stores past `cols` (right edges write C
// directly, no padded scratch tile), and A either from the packed 14-row panel or read in place
// from row-major A (row i at a + i*lda): products with few columns, such as the late layers of a
// CNN (7x7 or 4x4 positions against 512 output channels), reuse each value of A only that many
// times, so packing A would cost as much as the multiply.
#include <immintrin.h>

#include <algorithm>

#include "kernels.h"
#include "vmath_avx2.h"

namespace armml {

namespace {

constexpr int kPanelRows = 14;  // rows per k in the packed A panel, whatever MR computes

inline __mmask16 lanes(size_t cols, int j) {
  const size_t lo = size_t(16 * j);
  if (cols >= lo + 16) return __mmask16(0xFFFF);
  return cols <= lo ? __mmask16(0) : __mmask16((1u << (cols - lo)) - 1u);
}

template <int MR, int NV, bool IN_PLACE>
void tile(size_t kc, const float* a, size_t lda, const float* b, float* c, size_t ldc, size_t cols, bool accumulate,
          const Epilogue* ep) {
  __m512 acc[MR][NV];
#pragma GCC unroll 14
  for (int i = 0; i < MR; i++) {
#pragma GCC unroll 2
    for (int j = 0; j < NV; j++) acc[i][j] = _mm512_setzero_ps();
    // The C tile is read (or written) after the depth loop: start fetching its lines now.
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    if (NV > 1) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
  }

  // In place, rows are reached from five bases with the row stride as an index register
  // (base + lda*4 and base + lda*8 are addressing modes), so no row pointer is spilled.
  const float* a3 = a + 3 * lda;
  const float* a6 = a + 6 * lda;
  const float* a9 = a + 9 * lda;
  const float* a12 = a + 12 * lda;
#pragma GCC unroll 2
  for (size_t k = 0; k < kc; k++) {
    __m512 bv[NV];
#pragma GCC unroll 2
    for (int j = 0; j < NV; j++) bv[j] = _mm512_load_ps(b + 16 * j);
    // A sits in L1 (the driver reuses this micro-panel for every B panel); B streams from L2.
    _mm_prefetch(reinterpret_cast<const char*>(b + 32 * 64), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b + 32 * 64 + 16), _MM_HINT_T0);
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) {
      float s;
      if (IN_PLACE) {
        const float* base = i < 3 ? a : i < 6 ? a3 : i < 9 ? a6 : i < 12 ? a9 : a12;
        s = base[size_t(i % 3) * lda];
      } else {
        s = a[i];
      }
      const __m512 av = _mm512_set1_ps(s);
#pragma GCC unroll 2
      for (int j = 0; j < NV; j++) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
    }
    if (IN_PLACE) {
      a++, a3++, a6++, a9++, a12++;
    } else {
      a += kPanelRows;
    }
    b += 32;
  }

  __mmask16 mask[NV];
#pragma GCC unroll 2
  for (int j = 0; j < NV; j++) mask[j] = lanes(cols, j);
  const bool relu = ep && ep->act == Activation::Relu;
#pragma GCC unroll 14
  for (int i = 0; i < MR; i++) {
#pragma GCC unroll 2
    for (int j = 0; j < NV; j++) {
      float* cp = c + i * ldc + 16 * j;
      const __mmask16 m = mask[j];
      __m512 v = acc[i][j];
      if (accumulate) v = _mm512_add_ps(v, _mm512_mask_loadu_ps(_mm512_setzero_ps(), m, cp));
      if (ep) {
        if (ep->bias_m) v = _mm512_add_ps(v, _mm512_set1_ps(ep->bias_m[i]));
        if (ep->bias_n) v = _mm512_add_ps(v, _mm512_mask_loadu_ps(_mm512_setzero_ps(), m, ep->bias_n + 16 * j));
        if (ep->residual) v = _mm512_add_ps(v, _mm512_mask_loadu_ps(_mm512_setzero_ps(), m, ep->residual + i * ep->ldr + 16 * j));
        if (relu) v = _mm512_mask_max_ps(v, __mmask16(0xFFFF), v, _mm512_setzero_ps());
      }
      _mm512_mask_storeu_ps(cp, m, v);
    }
  }
  if (ep && ep->act != Activation::None && !relu) {
    // The exp-based activations run over the just-stored rows while they are in L1; a partial
    // last group of 8 goes through a padded copy so it gets the same vector math.
    const size_t n = std::min<size_t>(cols, size_t(16 * NV));
    for (int i = 0; i < MR; i++) {
      float* cp = c + i * ldc;
      size_t j = 0;
      for (; j + 8 <= n; j += 8)
        _mm256_storeu_ps(cp + j, vmath_avx2::activate(_mm256_loadu_ps(cp + j), ep->act, ep->alpha, ep->beta));
      if (j < n) {
        alignas(32) float tmp[8] = {};
        for (size_t l = 0; l < n - j; l++) tmp[l] = cp[j + l];
        _mm256_store_ps(tmp, vmath_avx2::activate(_mm256_load_ps(tmp), ep->act, ep->alpha, ep->beta));
        for (size_t l = 0; l < n - j; l++) cp[j + l] = tmp[l];
      }
    }
  }
}

template <int MR>
MatmulTile pick(size_t cols, bool in_place) {
  if (cols <= 16) return in_place ? tile<MR, 1, true> : tile<MR, 1, false>;
  return in_place ? tile<MR, 2, true> : tile<MR, 2, false>;
}

}  // namespace

ARMML_UKERNEL(matmul_f32_14x32_avx512) { tile<14, 2, false>(kc, a, 0, b, c, ldc, 32, accumulate, ep); }

MatmulTile matmul_f32_14x32_avx512_tile(size_t rows, size_t cols, bool in_place_a) {
  using Pick = MatmulTile (*)(size_t, bool);
  static const Pick by_rows[] = {nullptr,  pick<1>,  pick<2>,  pick<3>,  pick<4>,  pick<5>,  pick<6>, pick<7>,
                                 pick<8>,  pick<9>,  pick<10>, pick<11>, pick<12>, pick<13>, pick<14>};
  return rows >= 1 && rows <= 14 && cols >= 1 && cols <= 32 ? by_rows[rows](cols, in_place_a) : nullptr;
}

void matmul_f32_14x32_avx512_pack_a(const float* A, size_t lda, size_t rows, size_t kc, float alpha, float* panel) {
  // One gather per depth step collects the 14 rows' values (lanes past `rows` masked to zero);
  // scalar packing spends ~1.4 cycles per value on this transpose, the gather ~0.4.
  constexpr int kMr = 14;
  const __mmask16 valid = __mmask16((1u << rows) - 1u);
  const __mmask16 tile = __mmask16((1u << kMr) - 1u);
  const __m512i rows_off = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0, 0),
                                              _mm512_set1_epi32(int(lda)));
  const __m512 scale = _mm512_set1_ps(alpha);
  for (size_t k = 0; k < kc; k++) {
    __m512 v = _mm512_mask_i32gather_ps(_mm512_set1_ps(0.0f), valid, rows_off, A + k, 4);
    if (alpha != 1.0f) v = _mm512_mul_ps(v, scale);
    _mm512_mask_storeu_ps(panel + k * kMr, tile, v);
  }
}

}  // namespace armml
