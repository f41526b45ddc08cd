// Portable register tile: fixed-size loops the compiler unrolls and vectorizes with whatever the
// baseline ISA offers (SSE2 on x86-64, NEON on AArch64). Used when no hand-written variant applies.
#include "activation_ref.h"
#include "kernels.h"

namespace armml {

namespace {
constexpr size_t kMr = 4;
constexpr size_t kNr = 8;
}  // namespace

ARMML_UKERNEL(matmul_f32_4x8_portable) {
  float acc[kMr][kNr] = {};
  for (size_t k = 0; k < kc; k++) {
    const float* bk = b + k * kNr;
    const float* ak = a + k * kMr;
    for (size_t i = 0; i < kMr; i++) {
      const float ai = ak[i];
      for (size_t j = 0; j < kNr; j++) acc[i][j] += ai * bk[j];
    }
  }
  if (accumulate)
    for (size_t i = 0; i < kMr; i++)
      for (size_t j = 0; j < kNr; j++) acc[i][j] += c[i * ldc + j];
  if (ep) epilogue_ref(*ep, &acc[0][0], kNr, kMr, kNr);
  for (size_t i = 0; i < kMr; i++)
    for (size_t j = 0; j < kNr; j++) c[i * ldc + j] = acc[i][j];
}

}  // namespace armml
