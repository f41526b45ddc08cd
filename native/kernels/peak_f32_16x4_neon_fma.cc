// NEON peak probe: 16 independent q-register FMLA chains, enough to cover FMLA latency (4 cycles)
// x throughput (2 per cycle on Neoverse-N1/A76, 4 on Neoverse-V1/V2). Written out rather than
// looped over an array so no optimization level can spill the chains to memory.
#include <arm_neon.h>

#include "kernels.h"

namespace armml {

double peak_f32_16x4_neon_fma(size_t reps, float a, float b, float* sink) {
  const float32x4_t va = vdupq_n_f32(a);
  const float32x4_t vb = vdupq_n_f32(b);
  float32x4_t c0 = vdupq_n_f32(0.00f);
  float32x4_t c1 = vdupq_n_f32(0.01f);
  float32x4_t c2 = vdupq_n_f32(0.02f);
  float32x4_t c3 = vdupq_n_f32(0.03f);
  float32x4_t c4 = vdupq_n_f32(0.04f);
  float32x4_t c5 = vdupq_n_f32(0.05f);
  float32x4_t c6 = vdupq_n_f32(0.06f);
  float32x4_t c7 = vdupq_n_f32(0.07f);
  float32x4_t c8 = vdupq_n_f32(0.08f);
  float32x4_t c9 = vdupq_n_f32(0.09f);
  float32x4_t c10 = vdupq_n_f32(0.10f);
  float32x4_t c11 = vdupq_n_f32(0.11f);
  float32x4_t c12 = vdupq_n_f32(0.12f);
  float32x4_t c13 = vdupq_n_f32(0.13f);
  float32x4_t c14 = vdupq_n_f32(0.14f);
  float32x4_t c15 = vdupq_n_f32(0.15f);
  for (size_t r = 0; r < reps; r++) {
    // vfmaq_f32(acc, x, y) = acc + x * y: each chain is c = b + c * a.
    c0 = vfmaq_f32(vb, c0, va);
    c1 = vfmaq_f32(vb, c1, va);
    c2 = vfmaq_f32(vb, c2, va);
    c3 = vfmaq_f32(vb, c3, va);
    c4 = vfmaq_f32(vb, c4, va);
    c5 = vfmaq_f32(vb, c5, va);
    c6 = vfmaq_f32(vb, c6, va);
    c7 = vfmaq_f32(vb, c7, va);
    c8 = vfmaq_f32(vb, c8, va);
    c9 = vfmaq_f32(vb, c9, va);
    c10 = vfmaq_f32(vb, c10, va);
    c11 = vfmaq_f32(vb, c11, va);
    c12 = vfmaq_f32(vb, c12, va);
    c13 = vfmaq_f32(vb, c13, va);
    c14 = vfmaq_f32(vb, c14, va);
    c15 = vfmaq_f32(vb, c15, va);
  }
  const float32x4_t s0 = vaddq_f32(vaddq_f32(vaddq_f32(c0, c1), vaddq_f32(c2, c3)), vaddq_f32(vaddq_f32(c4, c5), vaddq_f32(c6, c7)));
  const float32x4_t s1 = vaddq_f32(vaddq_f32(vaddq_f32(c8, c9), vaddq_f32(c10, c11)), vaddq_f32(vaddq_f32(c12, c13), vaddq_f32(c14, c15)));
  *sink = vaddvq_f32(vaddq_f32(s0, s1));
  return 2.0 * double(reps) * 16 * 4;
}

}  // namespace armml
