// 2D max and average pooling over one plane, plain C++. Max pooling goes in two passes per output
// row: the maximum down the window's rows for every input column (contiguous, so the compiler
// vectorizes it), then across each window's columns; a 3x3 stride-2 window then costs about a
// third of the comparisons of one pass over its nine taps. Average pooling keeps the one pass
// (double sums, the count including padding or not).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels.h"

namespace armml {

namespace {

// NaNs behave as in one pass seeded by the window's first tap with std::max (which keeps its
// first argument when either is NaN): a NaN first tap gives NaN, a NaN anywhere else is passed
// over. So the column pass skips NaNs (a column's maximum is NaN only if all of it is), and the
// window's first tap is looked up again for the seed.
void max_pool(const PoolPlane& p) {
  thread_local std::vector<float> colmax;
  colmax.resize(p.W);
  float* cm = colmax.data();
  float* y = p.y;
  const int64_t W = int64_t(p.W), dilW = int64_t(p.dilW);
  for (size_t oh = 0; oh < p.OH; oh++) {
    const int32_t h0 = p.startH[oh], hLo = p.loH[oh], hHi = p.hiH[oh];
    if (hHi <= hLo) {
      std::fill(y, y + p.OW, -std::numeric_limits<float>::infinity());
      y += p.OW;
      continue;
    }
    const auto row = [&](int32_t jh) { return p.x + (int64_t(h0) + int64_t(jh) * int64_t(p.dilH)) * W; };
    std::copy(row(hLo), row(hLo) + W, cm);
    for (int32_t jh = hLo + 1; jh < hHi; jh++) {
      const float* r = row(jh);
      for (int64_t w = 0; w < W; w++) {
        const float c = cm[w], v = r[w];
        cm[w] = c < v || c != c ? v : c;
      }
    }
    const float* first = row(hLo);
    for (size_t ow = 0; ow < p.OW; ow++) {
      const int32_t wLo = p.loW[ow], wHi = p.hiW[ow];
      const float* c = cm + p.startW[ow];
      float m = -std::numeric_limits<float>::infinity();
      if (wHi > wLo) {
        const int64_t at = int64_t(wLo) * dilW;
        m = first[p.startW[ow] + at] != first[p.startW[ow] + at] ? first[p.startW[ow] + at] : c[at];
      }
      for (int32_t jw = wLo + 1; jw < wHi; jw++) m = std::max(m, c[int64_t(jw) * dilW]);
      *y++ = m;
    }
  }
}

void average_pool(const PoolPlane& p) {
  float* y = p.y;
  for (size_t oh = 0; oh < p.OH; oh++) {
    const int32_t h0 = p.startH[oh], hLo = p.loH[oh], hHi = p.hiH[oh];
    for (size_t ow = 0; ow < p.OW; ow++) {
      const int32_t w0 = p.startW[ow], wLo = p.loW[ow], wHi = p.hiW[ow];
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

}  // namespace

void pool2d_f32_1x1_portable(const PoolPlane& p) {
  if (p.max) max_pool(p);
  else average_pool(p);
}

}  // namespace armml
