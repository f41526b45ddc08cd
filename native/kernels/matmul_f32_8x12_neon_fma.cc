// 8x12 register tile for AArch64 NEON: 24 q-register accumulators (8 rows x 3 vectors of 4),
// 3 for the B row and 2 holding 8 A values used lane-wise by FMLA (by element), 29 of 32.
// Advanced SIMD is baseline on AArch64, so this file needs no extra -march flags.
#include <arm_neon.h>

#include "kernels.h"
#include "vmath_neon.h"

namespace armml {

ARMML_UKERNEL(matmul_f32_8x12_neon_fma) {
  float32x4_t acc[8][3];
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 3; j++) acc[i][j] = vdupq_n_f32(0.0f);

  for (size_t k = 0; k < kc; k++) {
    const float32x4_t b0 = vld1q_f32(b);
    const float32x4_t b1 = vld1q_f32(b + 4);
    const float32x4_t b2 = vld1q_f32(b + 8);
    const float32x4_t a0 = vld1q_f32(a);
    const float32x4_t a1 = vld1q_f32(a + 4);
#define ARMML_ROW(I, AV, L)                            \
  acc[I][0] = vfmaq_laneq_f32(acc[I][0], b0, AV, L); \
  acc[I][1] = vfmaq_laneq_f32(acc[I][1], b1, AV, L); \
  acc[I][2] = vfmaq_laneq_f32(acc[I][2], b2, AV, L);
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

  vmath_neon::store_tile<8, 3>(acc, c, ldc, accumulate, ep);
}

}  // namespace armml
