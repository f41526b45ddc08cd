// 2D max and average pooling over one plane, plain C++. Max pooling goes in two passes per output
// row: the maximum down the window's rows for every input column (contiguous, so the compiler
// vectorizes it), then across each window's columns; a 3x3 stride-2 window then costs about a
// third of the comparisons of one pass over its nine taps. Average pooling keeps the one pass
// (double sums, the count including padding or not); a window as wide as the plane sums its rows
// as one contiguous block.
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

// The sum of n contiguous floats in double, in eight independent partial sums: the compiler keeps
// them in vector registers, where one running sum would wait on each add's latency.
double contiguous_sum(const float* x, size_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) acc[k] += double(x[i + k]);
  double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; i++) s += double(x[i]);
  return s;
}

void average_pool(const PoolPlane& p) {
  float* y = p.y;
  // A window as wide as the plane (global pooling, one output column): its rows are one
  // contiguous block.
  const bool fullRows = p.OW == 1 && p.dilW == 1 && p.dilH == 1 && p.startW[0] == 0 && p.loW[0] == 0 && size_t(p.hiW[0]) == p.W;
  for (size_t oh = 0; oh < p.OH; oh++) {
    const int32_t h0 = p.startH[oh], hLo = p.loH[oh], hHi = p.hiH[oh];
    if (fullRows) {
      const size_t rows = hHi > hLo ? size_t(hHi - hLo) : 0;
      const double s = contiguous_sum(p.x + (int64_t(h0) + hLo) * int64_t(p.W), rows * p.W);
      const double count = p.includePad ? double(p.padH[oh]) * double(p.padW[0]) : double(rows) * double(p.W);
      *y++ = float(s / count);
      continue;
    }
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
