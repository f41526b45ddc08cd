// 2D max and average pooling over one plane, plain C++: the windows are small (2x2, 3x3) and
// irregular at the borders, so the win over the TypeScript loop is compiled code, not vectors.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "kernels.h"

namespace armml {

void pool2d_f32_1x1_portable(const PoolPlane& p) {
  float* y = p.y;
  for (size_t oh = 0; oh < p.OH; oh++) {
    const int32_t h0 = p.startH[oh], hLo = p.loH[oh], hHi = p.hiH[oh];
    for (size_t ow = 0; ow < p.OW; ow++) {
      const int32_t w0 = p.startW[ow], wLo = p.loW[ow], wHi = p.hiW[ow];
      if (p.max) {
        float m = -std::numeric_limits<float>::infinity();
        // The first tap seeds the maximum (a NaN there stays, as in the baseline); the rest are
        // branch-free maxes, which random data would otherwise mispredict half the time.
        if (hHi > hLo && wHi > wLo) m = p.x[(int64_t(h0) + int64_t(hLo) * int64_t(p.dilH)) * int64_t(p.W) + w0 + int64_t(wLo) * int64_t(p.dilW)];
        for (int32_t jh = hLo; jh < hHi; jh++) {
          const float* row = p.x + (int64_t(h0) + int64_t(jh) * int64_t(p.dilH)) * int64_t(p.W) + w0;
          for (int32_t jw = wLo; jw < wHi; jw++) m = std::max(m, row[int64_t(jw) * int64_t(p.dilW)]);
        }
        *y++ = m;
      } else {
        double s = 0.0;
        for (int32_t jh = hLo; jh < hHi; jh++) {
          const float* row = p.x + (int64_t(h0) + int64_t(jh) * int64_t(p.dilH)) * int64_t(p.W) + w0;
          for (int32_t jw = wLo; jw < wHi; jw++) s += row[int64_t(jw) * int64_t(p.dilW)];
        }
        const double count = p.includePad ? double(p.padH[oh]) * double(p.padW[ow]) : double(hHi - hLo) * double(wHi - wLo);
        *y++ = float(s / count);
      }
    }
  }
}

}  // namespace armml
