// Reference GEMV: one output at a time, double accumulation, the scalar epilogue. The oracle of
// the gemv_f32 family (and what "reference" resolves to in it).
#include "activation_ref.h"
#include "kernels.h"

namespace armml {

void gemv_f32_1x1_scalar_ref(const GemvArgs& g, size_t j0, size_t j1) {
  const Epilogue& ep = g.ep;
  for (size_t i = 0; i < g.M; i++) {
    const float* a = g.A + i * g.lda;
    float* c = g.C + i * g.ldc;
    for (size_t j = j0; j < j1; j++) {
      double s = 0.0;
      if (g.transB) {
        const float* b = g.B + j * g.ldb;
        for (size_t k = 0; k < g.K; k++) s += double(a[k]) * double(b[k]);
      } else {
        for (size_t k = 0; k < g.K; k++) s += double(a[k]) * double(g.B[k * g.ldb + j]);
      }
      float v = float(double(g.alpha) * s);
      if (g.beta != 0.0f) v += g.beta * c[j];
      if (ep.bias_m) v += ep.bias_m[i];
      if (ep.bias_n) v += ep.bias_n[j];
      if (ep.residual) v += ep.residual[i * ep.ldr + j];
      c[j] = activate_ref(ep.act, v, ep.alpha, ep.beta);
    }
  }
}

}  // namespace armml
