// Portable peak probe: 8 independent chains of 4 lanes in fixed-size loops the compiler keeps in
// registers and vectorizes with the baseline ISA (SSE2 multiply + add on x86-64, FMLA on AArch64).
#include "kernels.h"

namespace armml {

namespace {
constexpr size_t kChains = 8;
constexpr size_t kLanes = 4;
}  // namespace

double peak_f32_8x4_portable(size_t reps, float a, float b, float* sink) {
  float acc[kChains][kLanes];
  for (size_t i = 0; i < kChains; i++) {
    for (size_t j = 0; j < kLanes; j++) acc[i][j] = float(i * kLanes + j) * 1e-3f;
  }
  for (size_t r = 0; r < reps; r++) {
    for (size_t i = 0; i < kChains; i++) {
      for (size_t j = 0; j < kLanes; j++) acc[i][j] = acc[i][j] * a + b;
    }
  }
  float sum = 0.0f;
  for (size_t i = 0; i < kChains; i++) {
    for (size_t j = 0; j < kLanes; j++) sum += acc[i][j];
  }
  *sink = sum;
  return 2.0 * double(reps) * kChains * kLanes;
}

}  // namespace armml
