// NEON depthwise convolution: blocks of 8 output rows (3x3; 4 for 5x5) x 4 output pixels (one q
// register per row), the walk of dwconv2d_impl.h. 3x3 keeps the 8 accumulators and 9 weights in
// registers: 8 independent FMLA chains cover the FMLA latency on two pipes.
// NEON has no masked loads: border column blocks copy their span of each input row (a few
// floats) into a zero-filled stack buffer, interior blocks load the plane in place. Stride 2
// splits even/odd lanes with LD2.
#include <arm_neon.h>

#include "dwconv2d_impl.h"
#include "kernels.h"
#include "vmath_neon.h"

namespace armml {

namespace {

struct Neon {
  using V = float32x4_t;
  static constexpr int L = 4;
  // Output rows per block for a k x k filter.
  static constexpr int rows(int k) { return k <= 3 ? 8 : 4; }
  static constexpr bool kMasked = false;
  struct M1 {
    int lo, hi;
  };
  struct M2 {};
  static ARMML_DW_INLINE V set1(float v) { return vdupq_n_f32(v); }
  static ARMML_DW_INLINE V fma(V x, V w, V acc) { return vfmaq_f32(acc, x, w); }
  static ARMML_DW_INLINE V add(V a, V b) { return vaddq_f32(a, b); }
  static ARMML_DW_INLINE V load(const float* p) { return vld1q_f32(p); }
  static ARMML_DW_INLINE void store(float* p, V v) { vst1q_f32(p, v); }
  // Partial blocks (the last of a row) only: scalar loops over the mask's elements.
  static ARMML_DW_INLINE M1 mask1(long lo, long hi) { return {int(std::max(0L, lo)), int(std::min(4L, hi))}; }
  static ARMML_DW_INLINE V load_m(const float* p, M1 m) {
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int i = m.lo; i < m.hi; i++) t[i] = p[i];
    return vld1q_f32(t);
  }
  static ARMML_DW_INLINE void store_m(float* p, V v, M1 m) {
    float t[4];
    vst1q_f32(t, v);
    for (int i = m.lo; i < m.hi; i++) p[i] = t[i];
  }
  static ARMML_DW_INLINE M2 mask2(long, long) { return {}; }
  static ARMML_DW_INLINE void load2_m(const float*, M2, V&, V&) {}
  static ARMML_DW_INLINE void load2(const float* p, V& even, V& odd) {
    const float32x4x2_t v = vld2q_f32(p);
    even = v.val[0];
    odd = v.val[1];
  }
  static ARMML_DW_INLINE void pin(V& v) { asm("" : "+w"(v)); }
  static ARMML_DW_INLINE V fix2(V v) { return v; }
  static ARMML_DW_INLINE V relu(V v) { return vmath_neon::activate(v, Activation::Relu, 0.0f, 0.0f); }
  static ARMML_DW_INLINE V clip(V v, V lo, V hi) { return vminq_f32(vmaxq_f32(v, lo), hi); }  // as vmath_neon
  static ARMML_DW_INLINE V act(V v, Activation a, float alpha, float beta) { return vmath_neon::activate(v, a, alpha, beta); }
};

}  // namespace

void dwconv2d_f32_8x4_neon_fma(const DwconvArgs& a) { dwconv::run<Neon>(a); }

}  // namespace armml
