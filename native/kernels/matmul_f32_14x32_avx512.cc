// 14x32 register tile for AVX-512F: 28 zmm accumulators (14 rows x 2 vectors of 16), 2 for the B
// row, the A value broadcast straight from memory into each FMA ({1to16}) - 30 of the 32 zmm
// registers. Per depth step: 2 loads of B, 14 broadcasts, 28 FMAs (14 cycles on two 512-bit FMA
// units), so loads never bind. The epilogue runs on the accumulators before the one store of the
// tile. Compiled with -mavx512f (plus AVX2 for the shared epilogue math) for this file only.
#include <immintrin.h>

#include "kernels.h"
#include "vmath_avx2.h"

namespace armml {

namespace {

constexpr int kPanelRows = 14;  // rows per k in the packed A panel, whatever MR computes

// The tile for the first MR rows of a 14-row panel: MR = 14 is the kernel, smaller MR serve the
// bottom edge of C at the cost of the rows they compute (not a whole padded tile).
template <int MR>
void tile(size_t kc, const float* a, const float* b, float* c, size_t ldc, bool accumulate, const Epilogue* ep) {
  constexpr int kMr = MR;
  __m512 acc[kMr][2];
#pragma GCC unroll 14
  for (int i = 0; i < kMr; i++) {
    acc[i][0] = acc[i][1] = _mm512_set1_ps(0.0f);
    // The C tile is read (or written) after the depth loop: start fetching its lines now.
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
  }

#pragma GCC unroll 2
  for (size_t k = 0; k < kc; k++) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
    // A sits in L1 (the driver reuses this micro-panel for every B panel); B streams from L2.
    _mm_prefetch(reinterpret_cast<const char*>(b + 32 * 64), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b + 32 * 64 + 16), _MM_HINT_T0);
#pragma GCC unroll 14
    for (int i = 0; i < kMr; i++) {
      const __m512 av = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
    a += kPanelRows;
    b += 32;
  }

  // Sums, biases and the residual on the registers; ReLU too. Other activations then run over the
  // stored tile (still in L1) in a loop, so their code is not repeated for all 28 registers.
  const bool relu = ep && ep->act == Activation::Relu;
#pragma GCC unroll 14
  for (int i = 0; i < kMr; i++) {
#pragma GCC unroll 2
    for (int j = 0; j < 2; j++) {
      float* cp = c + i * ldc + 16 * j;
      __m512 v = acc[i][j];
      if (accumulate) v = _mm512_add_ps(v, _mm512_loadu_ps(cp));
      if (ep) {
        if (ep->bias_m) v = _mm512_add_ps(v, _mm512_set1_ps(ep->bias_m[i]));
        if (ep->bias_n) v = _mm512_add_ps(v, _mm512_loadu_ps(ep->bias_n + 16 * j));
        if (ep->residual) v = _mm512_add_ps(v, _mm512_loadu_ps(ep->residual + i * ep->ldr + 16 * j));
        if (relu) v = _mm512_max_ps(v, _mm512_set1_ps(0.0f));
      }
      _mm512_storeu_ps(cp, v);
    }
  }
  if (ep && ep->act != Activation::None && !relu) {
    for (int i = 0; i < kMr; i++)
      for (int j = 0; j < 32; j += 8) {
        float* cp = c + i * ldc + j;
        _mm256_storeu_ps(cp, vmath_avx2::activate(_mm256_loadu_ps(cp), ep->act, ep->alpha, ep->beta));
      }
  }
}

}  // namespace

ARMML_UKERNEL(matmul_f32_14x32_avx512) { tile<14>(kc, a, b, c, ldc, accumulate, ep); }

MatmulUkernel matmul_f32_14x32_avx512_rows(size_t rows) {
  static const MatmulUkernel by_rows[] = {nullptr, tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>, tile<7>,
                                          tile<8>, tile<9>, tile<10>, tile<11>, tile<12>, tile<13>, tile<14>};
  return rows >= 1 && rows <= 14 ? by_rows[rows] : nullptr;
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
