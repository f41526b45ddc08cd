// Plain activation loops on libm: the oracle for the vector variants and the fallback on CPUs
// without them. NaN handling matches the TypeScript ops (Relu maps NaN to 0, the rest keep it).
// Erf, Gelu and GeluTanh are computed in double (see activation_ref.h).
#include <algorithm>
#include <cmath>

#include "activation_ref.h"
#include "kernels.h"

namespace armml {

void unary_f32_1x1_scalar_ref(UnaryOp op, const float* x, float* y, size_t n, float alpha, float beta) {
  switch (op) {
    case UnaryOp::Relu:
      for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
      return;
    case UnaryOp::Clip:
      for (size_t i = 0; i < n; i++) {
        const float v = x[i];
        y[i] = std::isnan(v) ? v : std::min(std::max(v, alpha), beta);
      }
      return;
    case UnaryOp::Sigmoid:
      for (size_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
      return;
    case UnaryOp::HardSigmoid:
      for (size_t i = 0; i < n; i++) {
        const float v = alpha * x[i] + beta;
        y[i] = std::isnan(v) ? v : std::max(0.0f, std::min(1.0f, v));
      }
      return;
    case UnaryOp::HardSwish:
      for (size_t i = 0; i < n; i++) {
        const float v = x[i];
        const float g = v / 6.0f + 0.5f;
        y[i] = std::isnan(v) ? v : v * std::max(0.0f, std::min(1.0f, g));
      }
      return;
    case UnaryOp::LeakyRelu:
      for (size_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? x[i] * alpha : x[i];
      return;
    case UnaryOp::Exp:
      for (size_t i = 0; i < n; i++) y[i] = std::exp(x[i]);
      return;
    case UnaryOp::Tanh:
      for (size_t i = 0; i < n; i++) y[i] = std::tanh(x[i]);
      return;
    case UnaryOp::Erf:
      for (size_t i = 0; i < n; i++) y[i] = erf_ref(x[i]);
      return;
    case UnaryOp::Gelu:
      for (size_t i = 0; i < n; i++) y[i] = gelu_ref(x[i]);
      return;
    case UnaryOp::GeluTanh:
      for (size_t i = 0; i < n; i++) y[i] = gelu_tanh_ref(x[i]);
      return;
  }
}

}  // namespace armml
