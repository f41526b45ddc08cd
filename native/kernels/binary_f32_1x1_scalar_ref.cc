// Plain elementwise binary loops: the oracle for the vector variants and the fallback on CPUs
// without them. One loop per (op, operand shape) so the compiler can still vectorize each.
#include <cmath>

#include "kernels.h"

namespace armml {

namespace {

template <class F>
void rows(const float* a, size_t as, const float* b, size_t bs, float* y, size_t n, F f) {
  if (as == 1 && bs == 1) {
    for (size_t k = 0; k < n; k++) y[k] = f(a[k], b[k]);
  } else if (as == 1) {
    const float s = b[0];
    for (size_t k = 0; k < n; k++) y[k] = f(a[k], s);
  } else if (bs == 1) {
    const float s = a[0];
    for (size_t k = 0; k < n; k++) y[k] = f(s, b[k]);
  } else {
    const float v = f(a[0], b[0]);
    for (size_t k = 0; k < n; k++) y[k] = v;
  }
}

}  // namespace

void binary_f32_1x1_scalar_ref(BinaryOp op, const float* a, size_t as, const float* b, size_t bs, float* y, size_t n) {
  switch (op) {
    case BinaryOp::Add:
      return rows(a, as, b, bs, y, n, [](float p, float q) { return p + q; });
    case BinaryOp::Sub:
      return rows(a, as, b, bs, y, n, [](float p, float q) { return p - q; });
    case BinaryOp::Mul:
      return rows(a, as, b, bs, y, n, [](float p, float q) { return p * q; });
    case BinaryOp::Div:
      return rows(a, as, b, bs, y, n, [](float p, float q) { return p / q; });
    case BinaryOp::ScaleShift: {
      const float scale = b[0], shift = b[1];
      for (size_t k = 0; k < n; k++) y[k] = std::fma(a[k * as], scale, shift);
      return;
    }
  }
}

}  // namespace armml
