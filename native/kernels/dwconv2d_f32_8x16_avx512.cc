// AVX-512F depthwise convolution: blocks of 8 output rows (3x3; 7 for 5x5, so 7/14/28-row planes
// split evenly) x 16 output pixels (one zmm per row), the walk of dwconv2d_impl.h. 3x3: 8
// accumulators + 9 weights in registers, 30 loads for 72 FMAs per block. Borders and partial blocks use k-masked loads and stores (lanes
// outside the row read as 0 and are never touched). Stride 2 splits even/odd lanes with one
// vpermt2ps each, already in memory order. The exp-based activations reuse the AVX2 vector math
// on the two halves. Compiled with -mavx512f (plus AVX2 for that math) for this file only.
// GCC 12 warns that the AVX-512 intrinsics' own placeholder (`__m512 __Y = __Y` in
// _mm512_undefined_ps) may be uninitialized wherever they are inlined; it is never read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "dwconv2d_impl.h"
#include "kernels.h"
#include "vmath_avx2.h"

namespace armml {

namespace {

struct Avx512 {
  using V = __m512;
  static constexpr int L = 16;
  // Output rows per block for a k x k filter.
  static constexpr int rows(int k) { return k <= 3 ? 8 : 7; }
  static constexpr bool kMasked = true;
  using M1 = __mmask16;
  struct M2 {
    __mmask16 lo, hi;
  };
  static ARMML_DW_INLINE V set1(float v) { return _mm512_set1_ps(v); }
  static ARMML_DW_INLINE V fma(V x, V w, V acc) { return _mm512_fmadd_ps(x, w, acc); }
  static ARMML_DW_INLINE V add(V a, V b) { return _mm512_add_ps(a, b); }
  static ARMML_DW_INLINE V load(const float* p) { return _mm512_loadu_ps(p); }
  static ARMML_DW_INLINE void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static ARMML_DW_INLINE __mmask16 below(long n) {
    n = std::min(16L, std::max(0L, n));
    return __mmask16((1u << n) - 1u);
  }
  static ARMML_DW_INLINE M1 mask1(long lo, long hi) { return __mmask16(below(hi) & ~below(lo)); }
  static ARMML_DW_INLINE M2 mask2(long lo, long hi) { return {mask1(lo, hi), mask1(lo - 16, hi - 16)}; }
  static ARMML_DW_INLINE V load_m(const float* p, M1 m) { return _mm512_maskz_loadu_ps(m, p); }
  static ARMML_DW_INLINE void store_m(float* p, V v, M1 m) { _mm512_mask_storeu_ps(p, m, v); }
  static ARMML_DW_INLINE void split(V lo, V hi, V& even, V& odd) {
    const __m512i ie = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i io = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    even = _mm512_permutex2var_ps(lo, ie, hi);
    odd = _mm512_permutex2var_ps(lo, io, hi);
  }
  static ARMML_DW_INLINE void load2(const float* p, V& even, V& odd) { split(_mm512_loadu_ps(p), _mm512_loadu_ps(p + 16), even, odd); }
  static ARMML_DW_INLINE void load2_m(const float* p, M2 m, V& even, V& odd) {
    split(_mm512_maskz_loadu_ps(m.lo, p), _mm512_maskz_loadu_ps(m.hi, dwconv::offset(p, 16)), even, odd);
  }
  static ARMML_DW_INLINE void pin(V& v) { asm("" : "+v"(v)); }
  static ARMML_DW_INLINE V fix2(V v) { return v; }
  static ARMML_DW_INLINE V relu(V v) { return _mm512_max_ps(v, _mm512_setzero_ps()); }  // NaN -> 0, like the reference
  static ARMML_DW_INLINE V clip(V v, V lo, V hi) { return _mm512_min_ps(hi, _mm512_max_ps(lo, v)); }  // keeps NaN
  static ARMML_DW_INLINE V act(V v, Activation a, float alpha, float beta) {
    const __m256 lo = vmath_avx2::activate(_mm512_castps512_ps256(v), a, alpha, beta);
    const __m256 hi =
        vmath_avx2::activate(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)), a, alpha, beta);
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(lo)), _mm256_castps_pd(hi), 1));
  }
};

}  // namespace

void dwconv2d_f32_8x16_avx512(const DwconvArgs& a) { dwconv::run<Avx512>(a); }

}  // namespace armml
