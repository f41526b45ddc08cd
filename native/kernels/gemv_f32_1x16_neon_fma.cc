// AArch64 NEON GEMV. K x N B: the sums of a block of up to kNb columns live in an L1 buffer; each
// pass adds R rows of B (streamed once, contiguous along the row) to it 16 columns (4 q registers
// per row of A) at a time, FMLA by element with the R values of A. N x K B: dot products of A with
// 8 rows of B at once (4 for three rows of A), one accumulator each, reduced with FADDP. The
// epilogue then runs over the block (vmath_neon.h).
#include <arm_neon.h>

#include <algorithm>

#include "kernels.h"
#include "vmath_neon.h"

namespace armml {

namespace {

constexpr size_t kNb = 1024;  // columns per block: M x kNb sums in L1

// acc[i][0, nb) += sum over R rows r: x[i][r] * b[r][0, nb).
template <int M, int R>
inline void kn_pass(const float* const (&b)[R], const float (&x)[M][R], float (*acc)[kNb], size_t nb) {
  size_t j = 0;
  for (; j + 16 <= nb; j += 16) {
    float32x4_t s[M][4];
#pragma GCC unroll 3
    for (int i = 0; i < M; i++)
#pragma GCC unroll 4
      for (int q = 0; q < 4; q++) s[i][q] = vld1q_f32(acc[i] + j + 4 * q);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
      for (int q = 0; q < 4; q++) {
        const float32x4_t bv = vld1q_f32(b[r] + j + 4 * q);
#pragma GCC unroll 3
        for (int i = 0; i < M; i++) s[i][q] = vfmaq_n_f32(s[i][q], bv, x[i][r]);
      }
#pragma GCC unroll 3
    for (int i = 0; i < M; i++)
#pragma GCC unroll 4
      for (int q = 0; q < 4; q++) vst1q_f32(acc[i] + j + 4 * q, s[i][q]);
  }
  for (; j + 4 <= nb; j += 4) {
    float32x4_t s[M];
    for (int i = 0; i < M; i++) s[i] = vld1q_f32(acc[i] + j);
    for (int r = 0; r < R; r++) {
      const float32x4_t bv = vld1q_f32(b[r] + j);
      for (int i = 0; i < M; i++) s[i] = vfmaq_n_f32(s[i], bv, x[i][r]);
    }
    for (int i = 0; i < M; i++) vst1q_f32(acc[i] + j, s[i]);
  }
  for (; j < nb; j++)
    for (int r = 0; r < R; r++)
      for (int i = 0; i < M; i++) acc[i][j] += x[i][r] * b[r][j];
}

template <int M>
void accumulate_kn(const GemvArgs& g, size_t jb, size_t nb, float (*acc)[kNb]) {
  constexpr int R = M == 3 ? 4 : 8;
  const float* B = g.B + jb;
  const size_t ldb = g.ldb;
  size_t k = 0;
  for (; k + R <= g.K; k += R) {
    const float* b[R];
    float x[M][R];
    for (int r = 0; r < R; r++) {
      b[r] = B + (k + r) * ldb;
      for (int i = 0; i < M; i++) x[i][r] = g.A[i * g.lda + k + r];
    }
    kn_pass<M, R>(b, x, acc, nb);
  }
  for (; k < g.K; k++) {
    const float* b[1] = {B + k * ldb};
    float x[M][1];
    for (int i = 0; i < M; i++) x[i][0] = g.A[i * g.lda + k];
    kn_pass<M, 1>(b, x, acc, nb);
  }
}

// acc[i][col + r] = dot(A row i, B row j + r) for r < R.
template <int M, int R>
inline void nk_rows(const GemvArgs& g, size_t j, float (*acc)[kNb], size_t col) {
  const float* b[R];
  for (int r = 0; r < R; r++) b[r] = g.B + (j + r) * g.ldb;
  float32x4_t s[M][R];
#pragma GCC unroll 3
  for (int i = 0; i < M; i++)
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) s[i][r] = vdupq_n_f32(0.0f);
  size_t k = 0;
  for (; k + 4 <= g.K; k += 4) {
    float32x4_t x[M];
#pragma GCC unroll 3
    for (int i = 0; i < M; i++) x[i] = vld1q_f32(g.A + i * g.lda + k);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const float32x4_t bv = vld1q_f32(b[r] + k);
#pragma GCC unroll 3
      for (int i = 0; i < M; i++) s[i][r] = vfmaq_f32(s[i][r], x[i], bv);
    }
  }
  for (int i = 0; i < M; i++)
    for (int r = 0; r < R; r++) {
      float sum = vaddvq_f32(s[i][r]);
      for (size_t kk = k; kk < g.K; kk++) sum += g.A[i * g.lda + kk] * b[r][kk];
      acc[i][col + r] = sum;
    }
}

template <int M>
void dot_nk(const GemvArgs& g, size_t jb, size_t nb, float (*acc)[kNb]) {
  constexpr size_t R = M == 3 ? 4 : 8;
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
      for (int i = 0; i < M; i++) std::fill(acc[i], acc[i] + nb, 0.0f);
      accumulate_kn<M>(g, jb, nb, acc);
    }
    for (int i = 0; i < M; i++) {
      vmath_neon::gemv_store_row(acc[i], g.C + i * g.ldc + jb, nb, g.alpha, g.beta, ep.bias_m ? ep.bias_m + i : nullptr,
                                 ep.bias_n ? ep.bias_n + jb : nullptr, ep.residual ? ep.residual + i * ep.ldr + jb : nullptr,
                                 ep);
    }
  }
}

}  // namespace

void gemv_f32_1x16_neon_fma(const GemvArgs& g, size_t j0, size_t j1) {
  switch (g.M) {
    case 1: return run<1>(g, j0, j1);
    case 2: return run<2>(g, j0, j1);
    default: return run<3>(g, j0, j1);
  }
}

}  // namespace armml
