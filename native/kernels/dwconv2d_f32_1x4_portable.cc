// Portable depthwise plane: rows of 4 outputs accumulated tap by tap over the pre-padded input,
// so the inner loop has no bounds checks and vectorizes for unit stride.
#include "kernels.h"

namespace armml {

void dwconv2d_f32_1x4_portable(const DwPlane& p) {
  for (size_t oy = 0; oy < p.outH; oy++) {
    float* yrow = p.y + oy * p.outW;
    size_t ox = 0;
    for (; ox + 4 <= p.outW; ox += 4) {
      float acc[4] = {p.bias, p.bias, p.bias, p.bias};
      for (size_t ky = 0; ky < p.kH; ky++) {
        const float* xrow = p.x + (oy * p.strideH + ky * p.dilH) * p.xw + ox * p.strideW;
        for (size_t kx = 0; kx < p.kW; kx++) {
          const float wv = p.w[ky * p.kW + kx];
          const float* xs = xrow + kx * p.dilW;
          for (size_t t = 0; t < 4; t++) acc[t] += wv * xs[t * p.strideW];
        }
      }
      for (size_t t = 0; t < 4; t++) yrow[ox + t] = p.relu && acc[t] < 0.0f ? 0.0f : acc[t];
    }
    for (; ox < p.outW; ox++) {
      float acc = p.bias;
      for (size_t ky = 0; ky < p.kH; ky++) {
        const float* xrow = p.x + (oy * p.strideH + ky * p.dilH) * p.xw + ox * p.strideW;
        for (size_t kx = 0; kx < p.kW; kx++) acc += p.w[ky * p.kW + kx] * xrow[kx * p.dilW];
      }
      yrow[ox] = p.relu && acc < 0.0f ? 0.0f : acc;
    }
  }
}

}  // namespace armml
