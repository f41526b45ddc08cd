// Layer normalization (and RMSNorm) over contiguous rows in double, the TypeScript op's algorithm:
// two passes for the statistics (mean, then squared deviations), then (x - mean) * rstd * gamma +
// beta. The oracle for the vector variants and the fallback on CPUs without them.
#include <cmath>

#include "kernels.h"

namespace armml {

void layernorm_f32_1x1_scalar_ref(const LayerNormArgs& a, size_t r0, size_t r1) {
  const size_t n = a.n;
  for (size_t r = r0; r < r1; r++) {
    const float* x = a.x + r * n;
    float* y = a.y + r * n;
    double m = 0.0;
    if (!a.rms) {
      for (size_t i = 0; i < n; i++) m += x[i];
      m /= double(n);
    }
    double v = 0.0;
    for (size_t i = 0; i < n; i++) {
      const double d = double(x[i]) - m;
      v += d * d;
    }
    const double rstd = 1.0 / std::sqrt(v / double(n) + double(a.eps));
    if (a.mean) a.mean[r] = float(m);
    if (a.rstd) a.rstd[r] = float(rstd);
    for (size_t i = 0; i < n; i++) {
      double t = (double(x[i]) - m) * rstd;
      if (a.gamma) t *= a.gamma[i];
      if (a.beta) t += a.beta[i];
      y[i] = float(t);
    }
  }
}

}  // namespace armml
