// The portable quantized tile (kernels.h, QMatmulTile) for both weight widths: fixed-size loops
// over one 16-column panel the compiler vectorizes, integer sums per group, one float scale per
// group and column, then the epilogue. Each matmul_qai8dxp_*_portable.cc instantiates it.
#pragma once
#include <cstdint>

#include "activation_ref.h"
#include "kernels.h"

namespace armml {
namespace {

template <int Bits>
void qmatmul_tile_portable(const QMatmulTile& t) {
  float out[4][kQnr] = {};
  const size_t gbytes = qpanel_group_bytes(Bits, t.group);
  const uint8_t* g = t.b;
  for (size_t k0 = 0; k0 < t.kp; k0 += t.group, g += gbytes) {
    int32_t acc[4][kQnr] = {};
    for (size_t s = 0; s < t.group / 2; s++) {
      int32_t w[2 * kQnr];
      if (Bits == 8) {
        for (size_t e = 0; e < 2 * kQnr; e++) w[e] = int8_t(g[s * 32 + e]);
      } else {
        const uint8_t* q = g + s * 16;
        for (size_t e = 0; e < kQnr; e++) {
          w[e] = int8_t(uint8_t(q[e] << 4)) >> 4;
          w[e + kQnr] = int8_t(q[e]) >> 4;
        }
      }
      for (size_t r = 0; r < t.rows; r++) {
        const int32_t a0 = t.a[r * t.lda + k0 + 2 * s], a1 = t.a[r * t.lda + k0 + 2 * s + 1];
        for (size_t j = 0; j < kQnr; j++) acc[r][j] += a0 * w[2 * j] + a1 * w[2 * j + 1];
      }
    }
    const float* scale = reinterpret_cast<const float*>(g + t.group * kQnr * Bits / 8);
    const int32_t* sum = reinterpret_cast<const int32_t*>(scale + kQnr);
    for (size_t r = 0; r < t.rows; r++)
      for (size_t j = 0; j < kQnr; j++) out[r][j] += scale[j] * float(acc[r][j] - t.a_zero[r] * sum[j]);
  }
  for (size_t r = 0; r < t.rows; r++)
    for (size_t j = 0; j < t.cols; j++) t.c[r * t.ldc + j] = t.a_scale[r] * out[r][j];
  if (t.ep) epilogue_ref(*t.ep, t.c, t.ldc, t.rows, t.cols);
}

}  // namespace
}  // namespace armml
