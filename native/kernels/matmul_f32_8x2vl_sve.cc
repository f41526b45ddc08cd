// 8 x 2VL register tile for SVE, vector-length agnostic: 16 z-register accumulators (8 rows x 2
// vectors of svcntw() floats), 2 for the B row and 2 holding the 8 A values, each 128-bit quad
// loaded with LD1RQW (replicated into every 128-bit segment) and used lane-wise by FMLA (indexed),
// 20 of 32 registers. Per depth step: 2 vector loads of B, 2 LD1RQW, 16 FMLA. The main loop has no
// predication (all-true predicate, nr = 2 * svcntw() fixed at run time; the driver pads edge
// tiles), so the same binary runs at every vector length from 128 to 2048 bits. The epilogue adds
// C, the biases and the residual and applies ReLU on the registers; other activations then run
// over the stored tile (still in L1) with vmath_sve.h, the same math as the NEON kernels.
//
// Compiled with -march=armv8.2-a+sve for this file only; never called (nor sve_f32_lanes) unless
// cpu_info().has("sve"). Checked with aarch64-linux-gnu-g++ 12.2 -march=armv8.2-a+sve -S at -O2
// and -O3: the depth loop is 2 LD1W + 2 LD1RQW + 16 FMLA (indexed) + 3 integer ops and the branch,
// all 16 accumulators stay in z registers (z3-z7, z16-z26; B in z0/z2, the A quads share z1) and
// nothing in the loop touches the stack. One binary gives bit-identical results at 128-2048 bits
// (scripts/arm-test.sh compares output digests with the NEON kernel's).
#include <arm_sve.h>

#include "kernels.h"
#include "vmath_sve.h"

namespace armml {

size_t sve_f32_lanes() { return svcntw(); }

ARMML_UKERNEL(matmul_f32_8x2vl_sve) {
  const svbool_t pg = svptrue_b32();
  const size_t vl = svcntw();
#define ARMML_ZERO(I) svfloat32_t c##I##0 = svdup_n_f32(0.0f), c##I##1 = svdup_n_f32(0.0f);
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
    const svfloat32_t b0 = svld1_f32(pg, b);
    const svfloat32_t b1 = svld1_vnum_f32(pg, b, 1);
    const svfloat32_t a0 = svld1rq_f32(pg, a);
    const svfloat32_t a1 = svld1rq_f32(pg, a + 4);
#define ARMML_ROW(I, AV, L)                   \
  c##I##0 = svmla_lane_f32(c##I##0, b0, AV, L); \
  c##I##1 = svmla_lane_f32(c##I##1, b1, AV, L);
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
    b += 2 * vl;
  }

  const bool relu = ep && ep->act == Activation::Relu;
#define ARMML_STORE(I, J)                                                                   \
  {                                                                                         \
    float* cp = c + I * ldc + J * vl;                                                       \
    svfloat32_t v = c##I##J;                                                                \
    if (accumulate) v = svadd_f32_x(pg, v, svld1_f32(pg, cp));                              \
    if (ep) {                                                                               \
      if (ep->bias_m) v = svadd_n_f32_x(pg, v, ep->bias_m[I]);                              \
      if (ep->bias_n) v = svadd_f32_x(pg, v, svld1_f32(pg, ep->bias_n + J * vl));           \
      if (ep->residual) v = svadd_f32_x(pg, v, svld1_f32(pg, ep->residual + I * ep->ldr + J * vl)); \
      if (relu) v = vmath_sve::relu(pg, v);                                                 \
    }                                                                                       \
    svst1_f32(pg, cp, v);                                                                   \
  }
#define ARMML_STORE_ROW(I) ARMML_STORE(I, 0) ARMML_STORE(I, 1)
  ARMML_STORE_ROW(0)
  ARMML_STORE_ROW(1)
  ARMML_STORE_ROW(2)
  ARMML_STORE_ROW(3)
  ARMML_STORE_ROW(4)
  ARMML_STORE_ROW(5)
  ARMML_STORE_ROW(6)
  ARMML_STORE_ROW(7)
#undef ARMML_STORE_ROW
#undef ARMML_STORE

  if (ep && ep->act != Activation::None && !relu) {
    for (size_t i = 0; i < 8; i++)
      for (size_t j = 0; j < 2 * vl; j += vl) {
        float* cp = c + i * ldc + j;
        svst1_f32(pg, cp, vmath_sve::activate(pg, svld1_f32(pg, cp), ep->act, ep->alpha, ep->beta));
      }
  }
}

}  // namespace armml
