// AVX2 elementwise binary rows: 8 floats per ymm, unrolled x2; scalar operands are broadcast once.
// FMA only for ScaleShift (one rounding, as the reference's std::fma).
#include <immintrin.h>

#include <cmath>

#include "kernels.h"

namespace armml {

namespace {

struct AddV {
  static __m256 v(__m256 p, __m256 q) { return _mm256_add_ps(p, q); }
  static float s(float p, float q) { return p + q; }
};
struct SubV {
  static __m256 v(__m256 p, __m256 q) { return _mm256_sub_ps(p, q); }
  static float s(float p, float q) { return p - q; }
};
struct MulV {
  static __m256 v(__m256 p, __m256 q) { return _mm256_mul_ps(p, q); }
  static float s(float p, float q) { return p * q; }
};
struct DivV {
  static __m256 v(__m256 p, __m256 q) { return _mm256_div_ps(p, q); }
  static float s(float p, float q) { return p / q; }
};

template <class F>
void rows(const float* a, size_t as, const float* b, size_t bs, float* y, size_t n) {
  size_t k = 0;
  if (as == 1 && bs == 1) {
    for (; k + 16 <= n; k += 16) {
      _mm256_storeu_ps(y + k, F::v(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k)));
      _mm256_storeu_ps(y + k + 8, F::v(_mm256_loadu_ps(a + k + 8), _mm256_loadu_ps(b + k + 8)));
    }
    for (; k + 8 <= n; k += 8) _mm256_storeu_ps(y + k, F::v(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k)));
    for (; k < n; k++) y[k] = F::s(a[k], b[k]);
  } else if (as == 1) {
    const float s = b[0];
    const __m256 q = _mm256_set1_ps(s);
    for (; k + 16 <= n; k += 16) {
      _mm256_storeu_ps(y + k, F::v(_mm256_loadu_ps(a + k), q));
      _mm256_storeu_ps(y + k + 8, F::v(_mm256_loadu_ps(a + k + 8), q));
    }
    for (; k + 8 <= n; k += 8) _mm256_storeu_ps(y + k, F::v(_mm256_loadu_ps(a + k), q));
    for (; k < n; k++) y[k] = F::s(a[k], s);
  } else if (bs == 1) {
    const float s = a[0];
    const __m256 p = _mm256_set1_ps(s);
    for (; k + 16 <= n; k += 16) {
      _mm256_storeu_ps(y + k, F::v(p, _mm256_loadu_ps(b + k)));
      _mm256_storeu_ps(y + k + 8, F::v(p, _mm256_loadu_ps(b + k + 8)));
    }
    for (; k + 8 <= n; k += 8) _mm256_storeu_ps(y + k, F::v(p, _mm256_loadu_ps(b + k)));
    for (; k < n; k++) y[k] = F::s(s, b[k]);
  } else {
    const float v = F::s(a[0], b[0]);
    for (; k < n; k++) y[k] = v;
  }
}

void scale_shift(const float* a, size_t as, const float* b, float* y, size_t n) {
  const float scale = b[0], shift = b[1];
  size_t k = 0;
  if (as == 1) {
    const __m256 s = _mm256_set1_ps(scale), t = _mm256_set1_ps(shift);
    for (; k + 16 <= n; k += 16) {
      _mm256_storeu_ps(y + k, _mm256_fmadd_ps(_mm256_loadu_ps(a + k), s, t));
      _mm256_storeu_ps(y + k + 8, _mm256_fmadd_ps(_mm256_loadu_ps(a + k + 8), s, t));
    }
    for (; k + 8 <= n; k += 8) _mm256_storeu_ps(y + k, _mm256_fmadd_ps(_mm256_loadu_ps(a + k), s, t));
  }
  for (; k < n; k++) y[k] = std::fma(a[k * as], scale, shift);
}

}  // namespace

void binary_f32_1x8_avx2_fma(BinaryOp op, const float* a, size_t as, const float* b, size_t bs, float* y, size_t n) {
  switch (op) {
    case BinaryOp::Add:
      return rows<AddV>(a, as, b, bs, y, n);
    case BinaryOp::Sub:
      return rows<SubV>(a, as, b, bs, y, n);
    case BinaryOp::Mul:
      return rows<MulV>(a, as, b, bs, y, n);
    case BinaryOp::Div:
      return rows<DivV>(a, as, b, bs, y, n);
    case BinaryOp::ScaleShift:
      return scale_shift(a, as, b, y, n);
  }
}

}  // namespace armml
