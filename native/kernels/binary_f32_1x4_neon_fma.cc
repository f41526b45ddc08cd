// NEON elementwise binary rows: 4 floats per q register, unrolled x2; scalar operands are
// broadcast once. AArch64 has a true vector divide (FDIV), so Div stays IEEE exact; ScaleShift is
// FMLA (one rounding, as the reference's std::fma).
#include <arm_neon.h>

#include <cmath>

#include "kernels.h"

namespace armml {

namespace {

struct AddV {
  static float32x4_t v(float32x4_t p, float32x4_t q) { return vaddq_f32(p, q); }
  static float s(float p, float q) { return p + q; }
};
struct SubV {
  static float32x4_t v(float32x4_t p, float32x4_t q) { return vsubq_f32(p, q); }
  static float s(float p, float q) { return p - q; }
};
struct MulV {
  static float32x4_t v(float32x4_t p, float32x4_t q) { return vmulq_f32(p, q); }
  static float s(float p, float q) { return p * q; }
};
struct DivV {
  static float32x4_t v(float32x4_t p, float32x4_t q) { return vdivq_f32(p, q); }
  static float s(float p, float q) { return p / q; }
};

template <class F>
void rows(const float* a, size_t as, const float* b, size_t bs, float* y, size_t n) {
  size_t k = 0;
  if (as == 1 && bs == 1) {
    for (; k + 8 <= n; k += 8) {
      vst1q_f32(y + k, F::v(vld1q_f32(a + k), vld1q_f32(b + k)));
      vst1q_f32(y + k + 4, F::v(vld1q_f32(a + k + 4), vld1q_f32(b + k + 4)));
    }
    for (; k + 4 <= n; k += 4) vst1q_f32(y + k, F::v(vld1q_f32(a + k), vld1q_f32(b + k)));
    for (; k < n; k++) y[k] = F::s(a[k], b[k]);
  } else if (as == 1) {
    const float s = b[0];
    const float32x4_t q = vdupq_n_f32(s);
    for (; k + 8 <= n; k += 8) {
      vst1q_f32(y + k, F::v(vld1q_f32(a + k), q));
      vst1q_f32(y + k + 4, F::v(vld1q_f32(a + k + 4), q));
    }
    for (; k + 4 <= n; k += 4) vst1q_f32(y + k, F::v(vld1q_f32(a + k), q));
    for (; k < n; k++) y[k] = F::s(a[k], s);
  } else if (bs == 1) {
    const float s = a[0];
    const float32x4_t p = vdupq_n_f32(s);
    for (; k + 8 <= n; k += 8) {
      vst1q_f32(y + k, F::v(p, vld1q_f32(b + k)));
      vst1q_f32(y + k + 4, F::v(p, vld1q_f32(b + k + 4)));
    }
    for (; k + 4 <= n; k += 4) vst1q_f32(y + k, F::v(p, vld1q_f32(b + k)));
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
    const float32x4_t s = vdupq_n_f32(scale), t = vdupq_n_f32(shift);
    for (; k + 8 <= n; k += 8) {
      vst1q_f32(y + k, vfmaq_f32(t, vld1q_f32(a + k), s));
      vst1q_f32(y + k + 4, vfmaq_f32(t, vld1q_f32(a + k + 4), s));
    }
    for (; k + 4 <= n; k += 4) vst1q_f32(y + k, vfmaq_f32(t, vld1q_f32(a + k), s));
  }
  for (; k < n; k++) y[k] = std::fma(a[k * as], scale, shift);
}

}  // namespace

void binary_f32_1x4_neon_fma(BinaryOp op, const float* a, size_t as, const float* b, size_t bs, float* y, size_t n) {
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
