// AVX2+FMA depthwise convolution: blocks of 4 output rows x 8 output pixels (one ymm per row),
// the walk of dwconv2d_impl.h. 3x3: 4 accumulators + 9 broadcast weights stay in registers.
// Borders use vmaskmovps (masked-out lanes read as 0 and are never touched), so planes are read
// in place. Stride 2 splits even/odd lanes with one vshufps per vector and leaves them in the
// order that leaves (0 1 4 5 2 3 6 7 of the output); one vpermpd per output vector restores it.
#include <immintrin.h>

#include "dwconv2d_impl.h"
#include "kernels.h"
#include "vmath_avx2.h"

namespace armml {

namespace {

// Lanes below n set: a window into 8 ones followed by 8 zeros.
alignas(64) const int32_t kLaneMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

struct Avx2 {
  using V = __m256;
  static constexpr int L = 8;
  // Output rows per block for a k x k filter.
  static constexpr int rows(int k) { return k <= 3 ? 4 : 4; }
  static constexpr bool kMasked = true;
  using M1 = __m256i;
  struct M2 {
    __m256i lo, hi;
  };
  static ARMML_DW_INLINE V set1(float v) { return _mm256_set1_ps(v); }
  static ARMML_DW_INLINE V fma(V x, V w, V acc) { return _mm256_fmadd_ps(x, w, acc); }
  static ARMML_DW_INLINE V add(V a, V b) { return _mm256_add_ps(a, b); }
  static ARMML_DW_INLINE V load(const float* p) { return _mm256_loadu_ps(p); }
  static ARMML_DW_INLINE void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static ARMML_DW_INLINE __m256i below(long n) {
    n = std::min(8L, std::max(0L, n));
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kLaneMask + 8 - n));
  }
  static ARMML_DW_INLINE M1 mask1(long lo, long hi) { return _mm256_andnot_si256(below(lo), below(hi)); }
  static ARMML_DW_INLINE M2 mask2(long lo, long hi) { return {mask1(lo, hi), mask1(lo - 8, hi - 8)}; }
  static ARMML_DW_INLINE V load_m(const float* p, M1 m) { return _mm256_maskload_ps(p, m); }
  static ARMML_DW_INLINE void store_m(float* p, V v, M1 m) { _mm256_maskstore_ps(p, m, v); }
  static ARMML_DW_INLINE void split(V lo, V hi, V& even, V& odd) {
    even = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    odd = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
  }
  static ARMML_DW_INLINE void load2(const float* p, V& even, V& odd) { split(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), even, odd); }
  static ARMML_DW_INLINE void load2_m(const float* p, M2 m, V& even, V& odd) {
    split(_mm256_maskload_ps(p, m.lo), _mm256_maskload_ps(dwconv::offset(p, 8), m.hi), even, odd);
  }
  static ARMML_DW_INLINE void pin(V& v) { asm("" : "+x"(v)); }
  static ARMML_DW_INLINE V fix2(V v) { return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0))); }
  static ARMML_DW_INLINE V relu(V v) { return vmath_avx2::activate(v, Activation::Relu, 0.0f, 0.0f); }
  static ARMML_DW_INLINE V clip(V v, V lo, V hi) { return _mm256_min_ps(hi, _mm256_max_ps(lo, v)); }  // as vmath: keeps NaN
  static ARMML_DW_INLINE V act(V v, Activation a, float alpha, float beta) { return vmath_avx2::activate(v, a, alpha, beta); }
};

}  // namespace

void dwconv2d_f32_4x8_avx2_fma(const DwconvArgs& a) { dwconv::run<Avx2>(a); }

}  // namespace armml
