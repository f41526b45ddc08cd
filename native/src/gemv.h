// The GEMV driver: products with fewer than 4 rows (matrix-vector, an LLM decoder's case) never
// pack B - every value of B is used once per row of A, so packing would copy as many bytes as the
// product reads. A gemv_f32 kernel streams B once per call, for either layout (K x N, or N x K
// as Linear weights are stored), with the whole fused epilogue; the driver splits the columns over
// the thread pool when the bytes streamed make a second thread pay.
#pragma once
#include <cstddef>

#include "gemm.h"
#include "variants.h"

namespace armml {

/**
 * The gemv_f32 variant gemm() runs M < 4 products with when it is given matmul_f32 variant `mm`:
 * one that ARMML_KERNEL names, else the one of mm's ISA (scalar, portable, avx2+fma, avx512f,
 * neon), else the selected one.
 */
const KernelVariant& gemv_variant_for(const KernelVariant& mm);

/** How many of `threads` threads a GEMV that streams `bytes` bytes of B uses. */
int gemv_threads(double bytes, int threads);

/**
 * C = act(alpha * op(A) op(B) + beta * C + epilogue) for each batch entry with gemv_f32 variant
 * `v`; meant for M < 4 (larger M runs in groups of kGemvMaxM rows, each streaming B again).
 */
void gemv(const KernelVariant& v, const GemmArgs& g, const GemmBatch& batch, int threads);

}  // namespace armml
