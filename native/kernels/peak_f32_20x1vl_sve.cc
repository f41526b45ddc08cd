// SVE peak probe, vector-length agnostic: 20 independent z-register FMLA chains of svcntw() lanes
// each, enough to cover FMLA latency x pipes on A64FX (9 cycles x 2 x 512-bit = 18 chains),
// Neoverse-V1 (4 x 2 x 256-bit) and Neoverse-V2 (4 x 4 x 128-bit). Written out so no optimization
// level spills the chains (20 + 2 operands of 32 z registers). Compiled with
// -march=armv8.2-a+sve for this file only; called only where the CPU has SVE.
#include <arm_sve.h>

#include "kernels.h"

namespace armml {

double peak_f32_20x1vl_sve(size_t reps, float a, float b, float* sink) {
  const svbool_t pg = svptrue_b32();
  const svfloat32_t va = svdup_n_f32(a);
  const svfloat32_t vb = svdup_n_f32(b);
#define ARMML_CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19)
#define ARMML_INIT(I) svfloat32_t c##I = svdup_n_f32(0.01f * I);
#define ARMML_STEP(I) c##I = svmla_f32_x(pg, vb, c##I, va);  // c = b + c * a
  ARMML_CHAINS(ARMML_INIT)
  for (size_t r = 0; r < reps; r++) {
    ARMML_CHAINS(ARMML_STEP)
  }
  const svfloat32_t s0 = svadd_f32_x(pg, svadd_f32_x(pg, svadd_f32_x(pg, c0, c1), svadd_f32_x(pg, c2, c3)),
                                     svadd_f32_x(pg, svadd_f32_x(pg, c4, c5), svadd_f32_x(pg, c6, c7)));
  const svfloat32_t s1 = svadd_f32_x(pg, svadd_f32_x(pg, svadd_f32_x(pg, c8, c9), svadd_f32_x(pg, c10, c11)),
                                     svadd_f32_x(pg, svadd_f32_x(pg, c12, c13), svadd_f32_x(pg, c14, c15)));
  const svfloat32_t s2 = svadd_f32_x(pg, svadd_f32_x(pg, c16, c17), svadd_f32_x(pg, c18, c19));
  *sink = svaddv_f32(pg, svadd_f32_x(pg, svadd_f32_x(pg, s0, s1), s2));
#undef ARMML_STEP
#undef ARMML_INIT
#undef ARMML_CHAINS
  return 2.0 * double(reps) * 20 * double(svcntw());
}

}  // namespace armml
