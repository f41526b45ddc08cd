// Portable depthwise convolution: blocks of 4 output rows (3x3; 2 for 5x5) x 4 output pixels, the
// walk of dwconv2d_impl.h on the compiler's generic 4-float vectors (GCC/Clang vector extensions:
// SSE2 on x86-64, NEON on AArch64, scalar code elsewhere; a plain struct on other compilers).
// Border column blocks copy their span of each input row into a zero-filled stack buffer; the
// activations are the scalar reference math.
#include <cstring>

#include "activation_ref.h"
#include "dwconv2d_impl.h"
#include "kernels.h"

namespace armml {

namespace {

#if defined(__GNUC__)
typedef float Vec4 __attribute__((vector_size(16)));
inline float& lane(Vec4& v, int i) { return reinterpret_cast<float*>(&v)[i]; }
inline float lane(const Vec4& v, int i) { return v[i]; }
#else
struct Vec4 {
  float v[4];
  Vec4 operator+(Vec4 b) const { return {{v[0] + b.v[0], v[1] + b.v[1], v[2] + b.v[2], v[3] + b.v[3]}}; }
  Vec4 operator*(Vec4 b) const { return {{v[0] * b.v[0], v[1] * b.v[1], v[2] * b.v[2], v[3] * b.v[3]}}; }
};
inline float& lane(Vec4& v, int i) { return v.v[i]; }
inline float lane(const Vec4& v, int i) { return v.v[i]; }
#endif

struct Portable {
  using V = Vec4;
  static constexpr int L = 4;
  // Output rows per block for a k x k filter (16 SSE2 registers: accumulators + 9 weights).
  static constexpr int rows(int k) { return k <= 3 ? 4 : 2; }
  static constexpr bool kMasked = false;
  struct M1 {
    int lo, hi;
  };
  struct M2 {};
  static ARMML_DW_INLINE V set1(float x) {
    V v;
    for (int i = 0; i < 4; i++) lane(v, i) = x;
    return v;
  }
  static ARMML_DW_INLINE V fma(V x, V w, V acc) { return acc + x * w; }
  static ARMML_DW_INLINE V add(V a, V b) { return a + b; }
  static ARMML_DW_INLINE V load(const float* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static ARMML_DW_INLINE void store(float* p, V v) { std::memcpy(p, &v, sizeof v); }
  static ARMML_DW_INLINE M1 mask1(long lo, long hi) { return {int(std::max(0L, lo)), int(std::min(4L, hi))}; }
  static ARMML_DW_INLINE V load_m(const float* p, M1 m) {
    V v = set1(0.0f);
    for (int i = m.lo; i < m.hi; i++) lane(v, i) = p[i];
    return v;
  }
  static ARMML_DW_INLINE void store_m(float* p, V v, M1 m) {
    for (int i = m.lo; i < m.hi; i++) p[i] = lane(v, i);
  }
  static ARMML_DW_INLINE M2 mask2(long, long) { return {}; }
  static ARMML_DW_INLINE void load2_m(const float*, M2, V&, V&) {}
  static ARMML_DW_INLINE void load2(const float* p, V& even, V& odd) {
    const V a = load(p), b = load(p + 4);
    for (int i = 0; i < 2; i++) {
      lane(even, i) = lane(a, 2 * i), lane(even, i + 2) = lane(b, 2 * i);
      lane(odd, i) = lane(a, 2 * i + 1), lane(odd, i + 2) = lane(b, 2 * i + 1);
    }
  }
  static ARMML_DW_INLINE void pin(V&) {}
  static ARMML_DW_INLINE V fix2(V v) { return v; }
  static ARMML_DW_INLINE V relu(V v) { return act(v, Activation::Relu, 0.0f, 0.0f); }
  static ARMML_DW_INLINE V clip(V v, V lo, V hi) {
    for (int i = 0; i < 4; i++) lane(v, i) = activate_ref(Activation::Clip, lane(v, i), lane(lo, i), lane(hi, i));
    return v;
  }
  static ARMML_DW_INLINE V act(V v, Activation a, float alpha, float beta) {
    for (int i = 0; i < 4; i++) lane(v, i) = activate_ref(a, lane(v, i), alpha, beta);
    return v;
  }
};

}  // namespace

void dwconv2d_f32_4x4_portable(const DwconvArgs& a) { dwconv::run<Portable>(a); }

}  // namespace armml
