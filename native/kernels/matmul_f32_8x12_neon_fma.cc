// 8x12 register tile for AArch64 NEON: 24 q-register accumulators (8 rows x 3 vectors of 4),
// 3 for the B row and 2 holding 8 A values used lane-wise by FMLA (by element), 29 of 32.
// Advanced SIMD is baseline on AArch64, so this file needs no extra -march flags.
//
// The accumulators are named variables, not an array: with `float32x4_t acc[8][3]` handed to the
// epilogue, aarch64-linux-gnu-g++ 12.2 (-O2 and -O3) kept all 24 in registers through the depth
// loop but also stored every one of them to the stack in each iteration (12 STP q per 24 FMLA, a
// store stream the size of the FMA work; llvm-mca-19 -mcpu=neoverse-n1 put the iteration at 26.5
// cycles instead of the 12 its 24 FMLA need). Now (-O2 and -O3 -S) the loop is 2 LDP q + 1 LDR q
// + 24 FMLA (by element) + pointer/counter updates, all 24 accumulators in v5-v28 and no stack
// access (12.0 cycles on N1 per llvm-mca). Biases, residual and ReLU are applied on the
// registers; other activations over the stored tile (vmath_neon.h).
#include <arm_neon.h>

#include "kernels.h"
#include "vmath_neon.h"

namespace armml {

ARMML_UKERNEL(matmul_f32_8x12_neon_fma) {
#define ARMML_ZERO(I) float32x4_t c##I##0 = vdupq_n_f32(0.0f), c##I##1 = c##I##0, c##I##2 = c##I##0;
  ARMML_ZERO(0)
  ARMML_ZERO(1)
  ARMML_ZERO(2)
  ARMML_ZERO(3)
  ARMML_ZERO(4)
  ARMML_ZERO(5)
  ARMML_ZERO(6)
  ARMML_ZERO(7)
#undef ARMML_ZERO

  for (size_t k = 0; k < kc; k++) {
    const float32x4_t b0 = vld1q_f32(b);
    const float32x4_t b1 = vld1q_f32(b + 4);
    const float32x4_t b2 = vld1q_f32(b + 8);
    const float32x4_t a0 = vld1q_f32(a);
    const float32x4_t a1 = vld1q_f32(a + 4);
#define ARMML_ROW(I, AV, L)                        \
  c##I##0 = vfmaq_laneq_f32(c##I##0, b0, AV, L); \
  c##I##1 = vfmaq_laneq_f32(c##I##1, b1, AV, L); \
  c##I##2 = vfmaq_laneq_f32(c##I##2, b2, AV, L);
    ARMML_ROW(0, a0, 0)
    ARMML_ROW(1, a0, 1)
    ARMML_ROW(2, a0, 2)
    ARMML_ROW(3, a0, 3)
    ARMML_ROW(4, a1, 0)
    ARMML_ROW(5, a1, 1)
    ARMML_ROW(6, a1, 2)
    ARMML_ROW(7, a1, 3)
#undef ARMML_ROW
    a += 8;
    b += 12;
  }

  const bool relu = ep && ep->act == Activation::Relu;
#define ARMML_STORE_ROW(I)                                                   \
  vmath_neon::store_vec(c##I##0, c, ldc, I, 0, accumulate, ep, relu); \
  vmath_neon::store_vec(c##I##1, c, ldc, I, 1, accumulate, ep, relu); \
  vmath_neon::store_vec(c##I##2, c, ldc, I, 2, accumulate, ep, relu);
  ARMML_STORE_ROW(0)
  ARMML_STORE_ROW(1)
  ARMML_STORE_ROW(2)
  ARMML_STORE_ROW(3)
  ARMML_STORE_ROW(4)
  ARMML_STORE_ROW(5)
  ARMML_STORE_ROW(6)
  ARMML_STORE_ROW(7)
#undef ARMML_STORE_ROW
  if (ep && ep->act != Activation::None && !relu) vmath_neon::activate_tile(c, ldc, 8, 12, *ep);
}

}  // namespace armml
