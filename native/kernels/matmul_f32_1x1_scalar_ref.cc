// The reference GEMM: one output at a time, double accumulation, no packing. Slow on purpose;
// it is what the "baseline" mode measures and what every optimized variant is checked against.
#include "activation_ref.h"
#include "kernels.h"

namespace armml {

void matmul_f32_1x1_scalar_ref(const GemmArgs& g) {
  for (size_t i = 0; i < g.M; i++) {
    for (size_t j = 0; j < g.N; j++) {
      double acc = 0.0;
      for (size_t k = 0; k < g.K; k++) {
        const float a = g.transA ? g.A[k * g.lda + i] : g.A[i * g.lda + k];
        const float b = g.transB ? g.B[j * g.ldb + k] : g.B[k * g.ldb + j];
        acc += double(a) * double(b);
      }
      float v = float(g.alpha * acc);
      float& c = g.C[i * g.ldc + j];
      if (g.beta != 0.0f) v += g.beta * c;
      if (g.ep.bias_m) v += g.ep.bias_m[i];
      if (g.ep.bias_n) v += g.ep.bias_n[j];
      if (g.ep.residual) v += g.ep.residual[i * g.ep.ldr + j];
      c = activate_ref(g.ep.act, v, g.ep.alpha, g.ep.beta);
    }
  }
}

}  // namespace armml
