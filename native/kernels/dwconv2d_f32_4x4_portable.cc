// Portable depthwise convolution: blocks of 4 output rows x 4 output pixels, the walk of
// dwconv2d_impl.h on a 4-float struct whose fixed-size loops the compiler vectorizes (SSE2 /
// NEON baseline). Border column blocks copy their span of each input row into a zero-filled
// stack buffer; the activations are the scalar reference math.
#include "activation_ref.h"
#include "dwconv2d_impl.h"
#include "kernels.h"

namespace armml {

namespace {

struct Portable {
  struct V {
    float v[4];
  };
  static constexpr int L = 4;
  // Output rows per block for a k x k filter.
  static constexpr int rows(int k) { return k <= 3 ? 4 : 4; }
  static constexpr bool kMasked = false;
  struct M1 {
    int lo, hi;
  };
  struct M2 {};
  static ARMML_DW_INLINE V set1(float x) { return {{x, x, x, x}}; }
  static ARMML_DW_INLINE V fma(V x, V w, V acc) {
    for (int i = 0; i < 4; i++) acc.v[i] += x.v[i] * w.v[i];
    return acc;
  }
  static ARMML_DW_INLINE V add(V a, V b) {
    for (int i = 0; i < 4; i++) a.v[i] += b.v[i];
    return a;
  }
  static ARMML_DW_INLINE V load(const float* p) { return {{p[0], p[1], p[2], p[3]}}; }
  static ARMML_DW_INLINE void store(float* p, V v) {
    for (int i = 0; i < 4; i++) p[i] = v.v[i];
  }
  static ARMML_DW_INLINE M1 mask1(long lo, long hi) { return {int(std::max(0L, lo)), int(std::min(4L, hi))}; }
  static ARMML_DW_INLINE V load_m(const float* p, M1 m) {
    V v = set1(0.0f);
    for (int i = m.lo; i < m.hi; i++) v.v[i] = p[i];
    return v;
  }
  static ARMML_DW_INLINE void store_m(float* p, V v, M1 m) {
    for (int i = m.lo; i < m.hi; i++) p[i] = v.v[i];
  }
  static ARMML_DW_INLINE M2 mask2(long, long) { return {}; }
  static ARMML_DW_INLINE void load2_m(const float*, M2, V&, V&) {}
  static ARMML_DW_INLINE void load2(const float* p, V& even, V& odd) {
    for (int i = 0; i < 4; i++) even.v[i] = p[2 * i], odd.v[i] = p[2 * i + 1];
  }
  static ARMML_DW_INLINE void pin(V&) {}
  static ARMML_DW_INLINE V fix2(V v) { return v; }
  static ARMML_DW_INLINE V relu(V v) { return act(v, Activation::Relu, 0.0f, 0.0f); }
  static ARMML_DW_INLINE V clip(V v, V lo, V hi) {
    for (int i = 0; i < 4; i++) v.v[i] = activate_ref(Activation::Clip, v.v[i], lo.v[i], hi.v[i]);
    return v;
  }
  static ARMML_DW_INLINE V act(V v, Activation a, float alpha, float beta) {
    for (int i = 0; i < 4; i++) v.v[i] = activate_ref(a, v.v[i], alpha, beta);
    return v;
  }
};

}  // namespace

void dwconv2d_f32_4x4_portable(const DwconvArgs& a) { dwconv::run<Portable>(a); }

}  // namespace armml
