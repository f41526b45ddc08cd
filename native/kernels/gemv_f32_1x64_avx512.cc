// AVX-512F GEMV. K x N B: the sums of a block of up to kNb columns live in an L1 buffer; each pass
// adds R rows of B (streamed once, contiguous along the row) to it 64 columns (4 zmm per row of
// A) at a time, with the R values of A broadcast in registers. N x K B: dot products of A with 8
// rows of B at once (8 x M independent accumulators), masked loads for the K tail. The epilogue
// then runs over the block in 8-lane AVX2 vectors (vmath_avx2.h). Compiled with -mavx512f (plus
// AVX2 and FMA for the shared epilogue math) for this file only.
#include <immintrin.h>

#include <algorithm>

#include "kernels.h"
#include "vmath_avx2.h"

namespace armml {

namespace {

constexpr size_t kNb = 1024;  // columns per block: M x kNb sums in L1

inline __mmask16 tail_mask(size_t n) { return n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1u); }

// Horizontal sum, once per dot product. Through memory: GCC 12 warns that the expansions of
// _mm512_reduce_add_ps and of the 512-to-256 casts read an undefined operand.
inline float hsum(__m512 v) {
  alignas(64) float t[16];
  _mm512_store_ps(t, v);
  const __m256 h = _mm256_add_ps(_mm256_load_ps(t), _mm256_load_ps(t + 8));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// acc[i][0, nb) += sum over R rows r: x[i][r] * b[r][0, nb). With PF, each B line is prefetched
// `pf` floats ahead (the same columns of the next pass's rows): the hardware prefetcher alone
// loses ~10% on one thread to the R interleaved row streams.
template <int M, int R, bool PF = true>
inline void kn_pass(const float* const (&b)[R], const __m512 (&x)[M][R], float (*acc)[kNb], size_t nb, size_t pf = 0) {
  size_t j = 0;
  for (; j + 64 <= nb; j += 64) {
    __m512 s[M][4];
#pragma GCC unroll 3
    for (int i = 0; i < M; i++)
#pragma GCC unroll 4
      for (int q = 0; q < 4; q++) s[i][q] = _mm512_load_ps(acc[i] + j + 16 * q);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
      for (int q = 0; q < 4; q++) {
        if (PF) _mm_prefetch(reinterpret_cast<const char*>(b[r] + pf + j + 16 * q), _MM_HINT_T0);
        const __m512 bv = _mm512_loadu_ps(b[r] + j + 16 * q);
#pragma GCC unroll 3
        for (int i = 0; i < M; i++) s[i][q] = _mm512_fmadd_ps(x[i][r], bv, s[i][q]);
      }
#pragma GCC unroll 3
    for (int i = 0; i < M; i++)
#pragma GCC unroll 4
      for (int q = 0; q < 4; q++) _mm512_store_ps(acc[i] + j + 16 * q, s[i][q]);
  }
  // 16 columns at a time; B is read under a mask past nb (acc has room up to kNb).
  for (; j < nb; j += 16) {
    const __mmask16 m = tail_mask(nb - j);
    __m512 s[M];
#pragma GCC unroll 3
    for (int i = 0; i < M; i++) s[i] = _mm512_load_ps(acc[i] + j);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const __m512 bv = _mm512_maskz_loadu_ps(m, b[r] + j);
#pragma GCC unroll 3
      for (int i = 0; i < M; i++) s[i] = _mm512_fmadd_ps(x[i][r], bv, s[i]);
    }
#pragma GCC unroll 3
    for (int i = 0; i < M; i++) _mm512_store_ps(acc[i] + j, s[i]);
  }
}

template <int M>
void accumulate_kn(const GemvArgs& g, size_t jb, size_t nb, float (*acc)[kNb]) {
  constexpr int R = M == 3 ? 4 : 8;  // x[M][R] + 4M sums + 1 B register stay within 32 zmm
  const float* B = g.B + jb;
  const size_t ldb = g.ldb;
  size_t k = 0;
  for (; k + R <= g.K; k += R) {
    const float* b[R];
    __m512 x[M][R];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      b[r] = B + (k + r) * ldb;
#pragma GCC unroll 3
      for (int i = 0; i < M; i++) x[i][r] = _mm512_set1_ps(g.A[i * g.lda + k + r]);
    }
    kn_pass<M, R>(b, x, acc, nb, k + 2 * R <= g.K ? R * ldb : 0);
  }
  for (; k < g.K; k++) {
    const float* b[1] = {B + k * ldb};
    __m512 x[M][1];
    for (int i = 0; i < M; i++) x[i][0] = _mm512_set1_ps(g.A[i * g.lda + k]);
    kn_pass<M, 1, false>(b, x, acc, nb);
  }
}

// acc[i][col + r] = dot(A row i, B row j + r) for r < R.
template <int M, int R>
inline void nk_rows(const GemvArgs& g, size_t j, float (*acc)[kNb], size_t col) {
  const float* b[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) b[r] = g.B + (j + r) * g.ldb;
  __m512 s[M][R];
#pragma GCC unroll 3
  for (int i = 0; i < M; i++)
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) s[i][r] = _mm512_setzero_ps();
  const auto step = [&](size_t k, __mmask16 m) {
    __m512 x[M];
#pragma GCC unroll 3
    for (int i = 0; i < M; i++) x[i] = _mm512_maskz_loadu_ps(m, g.A + i * g.lda + k);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const __m512 bv = _mm512_maskz_loadu_ps(m, b[r] + k);
#pragma GCC unroll 3
      for (int i = 0; i < M; i++) s[i][r] = _mm512_fmadd_ps(x[i], bv, s[i][r]);
    }
  };
  size_t k = 0;
  for (; k + 16 <= g.K; k += 16) step(k, __mmask16(0xFFFF));
  if (k < g.K) step(k, tail_mask(g.K - k));
#pragma GCC unroll 3
  for (int i = 0; i < M; i++)
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) acc[i][col + r] = hsum(s[i][r]);
}

template <int M>
void dot_nk(const GemvArgs& g, size_t jb, size_t nb, float (*acc)[kNb]) {
  size_t c = 0;
  for (; c + 8 <= nb; c += 8) nk_rows<M, 8>(g, jb + c, acc, c);
  for (; c < nb; c++) nk_rows<M, 1>(g, jb + c, acc, c);
}

template <int M>
void run(const GemvArgs& g, size_t j0, size_t j1) {
  const Epilogue& ep = g.ep;
  alignas(64) float acc[M][kNb];
  for (size_t jb = j0; jb < j1; jb += kNb) {
    const size_t nb = std::min(kNb, j1 - jb);
    if (g.transB) {
      dot_nk<M>(g, jb, nb, acc);
    } else {
      for (int i = 0; i < M; i++) std::fill(acc[i], acc[i] + (nb + 15) / 16 * 16, 0.0f);
      accumulate_kn<M>(g, jb, nb, acc);
    }
    for (int i = 0; i < M; i++) {
      vmath_avx2::gemv_store_row(acc[i], g.C + i * g.ldc + jb, nb, g.alpha, g.beta, ep.bias_m ? ep.bias_m + i : nullptr,
                                 ep.bias_n ? ep.bias_n + jb : nullptr, ep.residual ? ep.residual + i * ep.ldr + jb : nullptr,
                                 ep);
    }
  }
}

}  // namespace

void gemv_f32_1x64_avx512(const GemvArgs& g, size_t j0, size_t j1) {
  switch (g.M) {
    case 1: return run<1>(g, j0, j1);
    case 2: return run<2>(g, j0, j1);
    default: return run<3>(g, j0, j1);
  }
}

}  // namespace armml
