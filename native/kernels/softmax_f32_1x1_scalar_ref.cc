// Softmax over contiguous rows in double, the TypeScript op's own formula: exp(x - max) / sum, or
// (x - max) - log(sum). The oracle for the vector variants and the fallback on CPUs without them.
#include <cmath>

#include "kernels.h"

namespace armml {

void softmax_f32_1x1_scalar_ref(const SoftmaxArgs& a, size_t r0, size_t r1) {
  const size_t n = a.n;
  if (n == 0) return;
  for (size_t r = r0; r < r1; r++) {
    const float* x = a.x + r * n;
    float* y = a.y + r * n;
    // A NaN skipped here still reaches the sum through exp(NaN), so the row ends up NaN either way.
    double m = -INFINITY;
    for (size_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += std::exp(double(x[i]) - m);
    if (a.log) {
      const double shift = std::log(sum);
      for (size_t i = 0; i < n; i++) y[i] = float((double(x[i]) - m) - shift);
    } else {
      const double scale = 1.0 / sum;
      for (size_t i = 0; i < n; i++) y[i] = float(std::exp(double(x[i]) - m) * scale);
    }
  }
}

}  // namespace armml
