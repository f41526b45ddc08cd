// The GEMM driver: blocks the problem for the caches, packs A and B into the panel layout the
// selected micro-kernel reads, applies the epilogue, and spreads tiles over the thread pool.
#pragma once
#include <cstddef>

#include "variants.h"

namespace armml {

struct GemmBatch {
  size_t count = 1;
  // Element strides between consecutive matrices; 0 broadcasts one matrix to every batch entry.
  size_t strideA = 0, strideB = 0, strideC = 0;
};

/** Runs a (batched) GEMM with variant `v` (family matmul_f32) on up to `threads` threads. */
void gemm(const KernelVariant& v, const GemmArgs& g, const GemmBatch& batch, int threads);

}  // namespace armml
