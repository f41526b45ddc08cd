// The reference convolution: direct nested loops over NCHW with bounds checks per tap, double
// accumulation. Serves the baseline mode and is the oracle for every conv variant.
#include "activation_ref.h"
#include "kernels.h"

namespace armml {

void conv2d_f32_1x1_scalar_ref(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y,
                               const Epilogue& ep) {
  const size_t cg = s.C / s.group;
  const size_t mg = s.M / s.group;
  for (size_t n = 0; n < s.N; n++) {
    for (size_t m = 0; m < s.M; m++) {
      const size_t g = m / mg;
      for (size_t oy = 0; oy < s.outH; oy++) {
        for (size_t ox = 0; ox < s.outW; ox++) {
          double acc = bias ? bias[m] : 0.0;
          for (size_t c = 0; c < cg; c++) {
            const float* xc = x + ((n * s.C) + g * cg + c) * s.H * s.W;
            const float* wc = w + (m * cg + c) * s.kH * s.kW;
            for (size_t ky = 0; ky < s.kH; ky++) {
              const long iy = long(oy * s.strideH + ky * s.dilH) - long(s.padT);
              if (iy < 0 || iy >= long(s.H)) continue;
              for (size_t kx = 0; kx < s.kW; kx++) {
                const long ix = long(ox * s.strideW + kx * s.dilW) - long(s.padL);
                if (ix < 0 || ix >= long(s.W)) continue;
                acc += double(xc[iy * s.W + ix]) * double(wc[ky * s.kW + kx]);
              }
            }
          }
          const size_t at = ((n * s.M + m) * s.outH + oy) * s.outW + ox;
          float v = float(acc);
          if (ep.residual) v += ep.residual[at];
          y[at] = activate_ref(ep.act, v, ep.alpha, ep.beta);
        }
      }
    }
  }
}

}  // namespace armml
