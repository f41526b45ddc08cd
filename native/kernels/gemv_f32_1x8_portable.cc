// Portable GEMV: fixed-width loops the compiler vectorizes with the baseline ISA (SSE2 on x86-64,
// NEON on AArch64). Columns go in blocks of kNb whose M x kNb sums stay in L1 while B streams:
// K x N B adds four rows of B per pass over the block; N x K B takes dot products with eight
// partial sums per row of A. The epilogue is the scalar one (activation_ref.h).
#include <algorithm>

#include "activation_ref.h"
#include "kernels.h"

namespace armml {

namespace {

constexpr size_t kNb = 512;  // columns per block
constexpr size_t kW = 8;     // partial sums per dot product

template <size_t M>
void accumulate_kn(const GemvArgs& g, size_t jb, size_t nb, float (*acc)[kNb]) {
  const float* B = g.B + jb;
  const size_t ldb = g.ldb;
  size_t k = 0;
  for (; k + 4 <= g.K; k += 4) {
    const float* b0 = B + k * ldb;
    const float* b1 = b0 + ldb;
    const float* b2 = b1 + ldb;
    const float* b3 = b2 + ldb;
    for (size_t i = 0; i < M; i++) {
      const float* a = g.A + i * g.lda + k;
      const float x0 = a[0], x1 = a[1], x2 = a[2], x3 = a[3];
      float* s = acc[i];
      for (size_t j = 0; j < nb; j++) s[j] += (x0 * b0[j] + x1 * b1[j]) + (x2 * b2[j] + x3 * b3[j]);
    }
  }
  for (; k < g.K; k++) {
    const float* b = B + k * ldb;
    for (size_t i = 0; i < M; i++) {
      const float x = g.A[i * g.lda + k];
      float* s = acc[i];
      for (size_t j = 0; j < nb; j++) s[j] += x * b[j];
    }
  }
}

template <size_t M>
void dot_nk(const GemvArgs& g, size_t jb, size_t nb, float (*acc)[kNb]) {
  for (size_t j = 0; j < nb; j++) {
    const float* b = g.B + (jb + j) * g.ldb;
    float part[M][kW] = {};
    size_t k = 0;
    for (; k + kW <= g.K; k += kW)
      for (size_t i = 0; i < M; i++) {
        const float* a = g.A + i * g.lda + k;
        for (size_t t = 0; t < kW; t++) part[i][t] += a[t] * b[k + t];
      }
    for (size_t i = 0; i < M; i++) {
      const float* a = g.A + i * g.lda;
      float s = ((part[i][0] + part[i][1]) + (part[i][2] + part[i][3])) + ((part[i][4] + part[i][5]) + (part[i][6] + part[i][7]));
      for (size_t kk = k; kk < g.K; kk++) s += a[kk] * b[kk];
      acc[i][j] = s;
    }
  }
}

template <size_t M>
void run(const GemvArgs& g, size_t j0, size_t j1) {
  const Epilogue& ep = g.ep;
  alignas(64) float acc[M][kNb];
  for (size_t jb = j0; jb < j1; jb += kNb) {
    const size_t nb = std::min(kNb, j1 - jb);
    if (g.transB) {
      dot_nk<M>(g, jb, nb, acc);
    } else {
      for (size_t i = 0; i < M; i++) std::fill(acc[i], acc[i] + nb, 0.0f);
      accumulate_kn<M>(g, jb, nb, acc);
    }
    for (size_t i = 0; i < M; i++) {
      float* c = g.C + i * g.ldc + jb;
      const float bm = ep.bias_m ? ep.bias_m[i] : 0.0f;
      const float* bn = ep.bias_n ? ep.bias_n + jb : nullptr;
      const float* res = ep.residual ? ep.residual + i * ep.ldr + jb : nullptr;
      for (size_t j = 0; j < nb; j++) {
        float v = g.alpha * acc[i][j];
        if (g.beta != 0.0f) v += g.beta * c[j];
        if (ep.bias_m) v += bm;
        if (bn) v += bn[j];
        if (res) v += res[j];
        c[j] = activate_ref(ep.act, v, ep.alpha, ep.beta);
      }
    }
  }
}

}  // namespace

void gemv_f32_1x8_portable(const GemvArgs& g, size_t j0, size_t j1) {
  switch (g.M) {
    case 1: return run<1>(g, j0, j1);
    case 2: return run<2>(g, j0, j1);
    default: return run<3>(g, j0, j1);
  }
}

}  // namespace armml
