// NEON depthwise plane: 4 adjacent outputs per q register, one FMLA per filter tap. Unit stride
// loads 4 consecutive inputs; stride 2 uses LD2 de-interleaving loads (even lanes). Other strides
// use the scalar tail path. Four q registers (16 outputs) are in flight at once, so four
// independent FMLA chains hide the FMLA latency; each output sums its taps in the same order.
#include <arm_neon.h>

#include "kernels.h"

namespace armml {

namespace {

inline float scalar_output(const DwPlane& p, size_t oy, size_t ox) {
  float acc = p.bias;
  for (size_t ky = 0; ky < p.kH; ky++) {
    const float* xrow = p.x + (oy * p.strideH + ky * p.dilH) * p.xw + ox * p.strideW;
    for (size_t kx = 0; kx < p.kW; kx++) acc += p.w[ky * p.kW + kx] * xrow[kx * p.dilW];
  }
  return p.relu && acc < 0.0f ? 0.0f : acc;
}

}  // namespace

void dwconv2d_f32_1x4_neon_fma(const DwPlane& p) {
  const bool vector = p.strideW == 1 || p.strideW == 2;
  const float32x4_t zero = vdupq_n_f32(0.0f);
  for (size_t oy = 0; oy < p.outH; oy++) {
    float* yrow = p.y + oy * p.outW;
    size_t ox = 0;
    if (vector) {
      const size_t step = p.strideW * 4;
      for (; ox + 16 <= p.outW; ox += 16) {
        float32x4_t a0 = vdupq_n_f32(p.bias), a1 = a0, a2 = a0, a3 = a0;
        for (size_t ky = 0; ky < p.kH; ky++) {
          const float* xrow = p.x + (oy * p.strideH + ky * p.dilH) * p.xw + ox * p.strideW;
          const float* wrow = p.w + ky * p.kW;
          for (size_t kx = 0; kx < p.kW; kx++) {
            const float* xp = xrow + kx * p.dilW;
            const float wk = wrow[kx];
            if (p.strideW == 1) {
              a0 = vfmaq_n_f32(a0, vld1q_f32(xp), wk);
              a1 = vfmaq_n_f32(a1, vld1q_f32(xp + step), wk);
              a2 = vfmaq_n_f32(a2, vld1q_f32(xp + 2 * step), wk);
              a3 = vfmaq_n_f32(a3, vld1q_f32(xp + 3 * step), wk);
            } else {
              a0 = vfmaq_n_f32(a0, vld2q_f32(xp).val[0], wk);
              a1 = vfmaq_n_f32(a1, vld2q_f32(xp + step).val[0], wk);
              a2 = vfmaq_n_f32(a2, vld2q_f32(xp + 2 * step).val[0], wk);
              a3 = vfmaq_n_f32(a3, vld2q_f32(xp + 3 * step).val[0], wk);
            }
          }
        }
        if (p.relu) {
          a0 = vmaxq_f32(a0, zero), a1 = vmaxq_f32(a1, zero);
          a2 = vmaxq_f32(a2, zero), a3 = vmaxq_f32(a3, zero);
        }
        vst1q_f32(yrow + ox, a0);
        vst1q_f32(yrow + ox + 4, a1);
        vst1q_f32(yrow + ox + 8, a2);
        vst1q_f32(yrow + ox + 12, a3);
      }
      for (; ox + 4 <= p.outW; ox += 4) {
        float32x4_t acc = vdupq_n_f32(p.bias);
        for (size_t ky = 0; ky < p.kH; ky++) {
          const float* xrow = p.x + (oy * p.strideH + ky * p.dilH) * p.xw + ox * p.strideW;
          const float* wrow = p.w + ky * p.kW;
          for (size_t kx = 0; kx < p.kW; kx++) {
            const float32x4_t xv = p.strideW == 1 ? vld1q_f32(xrow + kx * p.dilW) : vld2q_f32(xrow + kx * p.dilW).val[0];
            acc = vfmaq_n_f32(acc, xv, wrow[kx]);
          }
        }
        if (p.relu) acc = vmaxq_f32(acc, zero);
        vst1q_f32(yrow + ox, acc);
      }
    }
    for (; ox < p.outW; ox++) yrow[ox] = scalar_output(p, oy, ox);
  }
}

}  // namespace armml
