// The quantized GEMM driver (graph mode's int8 and int4 modes): packs constant fp32 weights once
// into 16-column panels of symmetric int8 or 4-bit values with their scales and column sums
// (native/kernels/kernels.h describes the layout), quantizes the activations per row at every
// call (asymmetric int8, KleidiAI's qai8dx), and runs a matmul_qai8dxp_* tile over every 4-row x
// 16-column block on the thread pool, split by panels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "variants.h"

namespace armml {

/** A weight format: "qsi8cx" (int8, per output channel) or "qsi4c32" (4-bit, per group of 32). */
struct QuantFormat {
  int bits = 8;
  size_t group = 0;  // depths per scale; 0 = the whole (padded) depth, one scale per column
  const char* family = "";
};

/** The format named `name`, or throws std::invalid_argument naming the formats. */
QuantFormat quant_format(const std::string& name);

/** Constant weights packed for a matmul_qai8dxp_<format> variant. */
struct QPackedB {
  size_t K = 0, N = 0, kp = 0, group = 0, panels = 0, panel_bytes = 0;
  std::vector<uint8_t> data;
};

/** Packs op(B) (K x N; with transB B is N x K, the Linear layout), row stride ldb. */
QPackedB pack_qweights(const QuantFormat& f, const float* B, size_t ldb, bool transB, size_t K, size_t N);

/**
 * Quantizes rows of A (M x K, row stride lda) to int16-held int8 values, kp per row (zeros past
 * K), with a = scale * (q - zero) per row; the range always includes 0, so zero is exact.
 */
void quantize_rows(const float* A, size_t lda, size_t M, size_t K, size_t kp, int16_t* q, float* scale, int32_t* zero);

/**
 * C (M x N, row stride ldc) = epilogue(quantized A x packed B) with variant `v` (its family must
 * match the packing). Epilogue: bias_n, residual (leading dimension ep.ldr) and activation.
 */
void qgemm(const KernelVariant& v, const QPackedB& b, const float* A, size_t lda, size_t M, float* C, size_t ldc,
           const Epilogue& ep, int threads);

}  // namespace armml
