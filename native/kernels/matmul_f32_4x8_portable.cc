// Portable register tile: fixed-size loops the compiler unrolls and vectorizes with whatever the
// baseline ISA offers (SSE2 on x86-64, NEON on AArch64). Used when no hand-written variant applies.
#include "kernels.h"

namespace armml {

namespace {
constexpr size_t kMr = 4;
constexpr size_t kNr = 8;
}  // namespace

void matmul_f32_4x8_portable(size_t kc, const float* a, const float* b, float* c, size_t ldc, bool accumulate) {
  float acc[kMr][kNr] = {};
  for (size_t k = 0; k < kc; k++) {
    const float* bk = b + k * kNr;
    const float* ak = a + k * kMr;
    for (size_t i = 0; i < kMr; i++) {
      const float ai = ak[i];
      for (size_t j = 0; j < kNr; j++) acc[i][j] += ai * bk[j];
    }
  }
  for (size_t i = 0; i < kMr; i++) {
    float* ci = c + i * ldc;
    if (accumulate) {
      for (size_t j = 0; j < kNr; j++) ci[j] += acc[i][j];
    } else {
      for (size_t j = 0; j < kNr; j++) ci[j] = acc[i][j];
    }
  }
}

}  // namespace armml
