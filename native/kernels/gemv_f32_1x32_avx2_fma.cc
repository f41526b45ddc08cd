// AVX2+FMA GEMV. K x N B: the sums of a block of up to kNb columns live in an L1 buffer; each pass
// adds R rows of B (streamed once, contiguous along the row) to it, 32 columns (4 ymm) at a time
// for one row of A, 16 for two or three (16 ymm registers: the R broadcast values of A, the sums
// and one B vector). N x K B: dot products of A with 8 rows of B at once (4 for two or three rows
// of A), one accumulator each. The epilogue then runs over the block (vmath_avx2.h). Compiled with
// -mavx2 -mfma for this file only.
#include <immintrin.h>

#include <algorithm>

#include "kernels.h"
#include "vmath_avx2.h"

namespace armml {

namespace {

constexpr size_t kNb = 1024;  // columns per block: M x kNb sums in L1

inline __m256i tail_mask(size_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(std::min<size_t>(n, 8))), lanes);
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// acc[i][0, nb) += sum over R rows r: x[i][r] * b[r][0, nb), Q vectors per step.
template <int M, int R, int Q>
inline void kn_pass(const float* const (&b)[R], const __m256 (&x)[M][R], float (*acc)[kNb], size_t nb) {
  size_t j = 0;
  for (; j + 8 * Q <= nb; j += 8 * Q) {
    __m256 s[M][Q];
#pragma GCC unroll 3
    for (int i = 0; i < M; i++)
#pragma GCC unroll 4
      for (int q = 0; q < Q; q++) s[i][q] = _mm256_load_ps(acc[i] + j + 8 * q);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
      for (int q = 0; q < Q; q++) {
        const __m256 bv = _mm256_loadu_ps(b[r] + j + 8 * q);
#pragma GCC unroll 3
        for (int i = 0; i < M; i++) s[i][q] = _mm256_fmadd_ps(x[i][r], bv, s[i][q]);
      }
#pragma GCC unroll 3
    for (int i = 0; i < M; i++)
#pragma GCC unroll 4
      for (int q = 0; q < Q; q++) _mm256_store_ps(acc[i] + j + 8 * q, s[i][q]);
  }
  // 8 columns at a time; B is read under a mask past nb (acc has room up to kNb).
  for (; j < nb; j += 8) {
    const __m256i m = tail_mask(nb - j);
    __m256 s[M];
#pragma GCC unroll 3
    for (int i = 0; i < M; i++) s[i] = _mm256_load_ps(acc[i] + j);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const __m256 bv = _mm256_maskload_ps(b[r] + j, m);
#pragma GCC unroll 3
      for (int i = 0; i < M; i++) s[i] = _mm256_fmadd_ps(x[i][r], bv, s[i]);
    }
#pragma GCC unroll 3
    for (int i = 0; i < M; i++) _mm256_store_ps(acc[i] + j, s[i]);
  }
}

template <int M>
void accumulate_kn(const GemvArgs& g, size_t jb, size_t nb, float (*acc)[kNb]) {
  constexpr int R = M == 1 ? 8 : 4;
  constexpr int Q = M == 1 ? 4 : 2;
  const float* B = g.B + jb;
  const size_t ldb = g.ldb;
  size_t k = 0;
  for (; k + R <= g.K; k += R) {
    const float* b[R];
    __m256 x[M][R];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      b[r] = B + (k + r) * ldb;
#pragma GCC unroll 3
      for (int i = 0; i < M; i++) x[i][r] = _mm256_set1_ps(g.A[i * g.lda + k + r]);
    }
    kn_pass<M, R, Q>(b, x, acc, nb);
  }
  for (; k < g.K; k++) {
    const float* b[1] = {B + k * ldb};
    __m256 x[M][1];
    for (int i = 0; i < M; i++) x[i][0] = _mm256_set1_ps(g.A[i * g.lda + k]);
    kn_pass<M, 1, Q>(b, x, acc, nb);
  }
}

// acc[i][col + r] = dot(A row i, B row j + r) for r < R.
template <int M, int R>
inline void nk_rows(const GemvArgs& g, size_t j, float (*acc)[kNb], size_t col) {
  const float* b[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) b[r] = g.B + (j + r) * g.ldb;
  __m256 s[M][R];
#pragma GCC unroll 3
  for (int i = 0; i < M; i++)
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) s[i][r] = _mm256_setzero_ps();
  size_t k = 0;
  for (; k + 8 <= g.K; k += 8) {
    __m256 x[M];
#pragma GCC unroll 3
    for (int i = 0; i < M; i++) x[i] = _mm256_loadu_ps(g.A + i * g.lda + k);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const __m256 bv = _mm256_loadu_ps(b[r] + k);
#pragma GCC unroll 3
      for (int i = 0; i < M; i++) s[i][r] = _mm256_fmadd_ps(x[i], bv, s[i][r]);
    }
  }
  if (k < g.K) {
    const __m256i m = tail_mask(g.K - k);
    __m256 x[M];
    for (int i = 0; i < M; i++) x[i] = _mm256_maskload_ps(g.A + i * g.lda + k, m);
    for (int r = 0; r < R; r++) {
      const __m256 bv = _mm256_maskload_ps(b[r] + k, m);
      for (int i = 0; i < M; i++) s[i][r] = _mm256_fmadd_ps(x[i], bv, s[i][r]);
    }
  }
#pragma GCC unroll 3
  for (int i = 0; i < M; i++)
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) acc[i][col + r] = hsum(s[i][r]);
}

template <int M>
void dot_nk(const GemvArgs& g, size_t jb, size_t nb, float (*acc)[kNb]) {
  constexpr size_t R = M == 1 ? 8 : 4;
  size_t c = 0;
  for (; c + R <= nb; c += R) nk_rows<M, int(R)>(g, jb + c, acc, c);
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
      for (int i = 0; i < M; i++) std::fill(acc[i], acc[i] + (nb + 7) / 8 * 8, 0.0f);
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

void gemv_f32_1x32_avx2_fma(const GemvArgs& g, size_t j0, size_t j1) {
  switch (g.M) {
    case 1: return run<1>(g, j0, j1);
    case 2: return run<2>(g, j0, j1);
    default: return run<3>(g, j0, j1);
  }
}

}  // namespace armml
