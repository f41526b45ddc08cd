// The GEMM driver: blocks the problem for the caches, packs A and B into the panel layout the
// selected micro-kernel reads, applies the epilogue, and spreads tiles over the thread pool.
#pragma once
#include <cstddef>
#include <functional>

#include "variants.h"

namespace armml {

struct GemmBatch {
  size_t count = 1;
  // Element strides between consecutive matrices; 0 broadcasts one matrix to every batch entry.
  size_t strideA = 0, strideB = 0, strideC = 0;
};

/** Runs a (batched) GEMM with variant `v` (family matmul_f32) on up to `threads` threads. */
void gemm(const KernelVariant& v, const GemmArgs& g, const GemmBatch& batch, int threads);

/**
 * Fills nr-column panels for depth [p0, p0+kc) x columns [j0, j0+nc) of B: panel p (columns
 * j0+p*nr ...) starts at out + p*nr*kc and holds, for each k, nr consecutive values (zero past nc).
 */
using PackBFn = std::function<void(size_t p0, size_t kc, size_t j0, size_t nc, size_t nr, float* out)>;

/**
 * C = alpha * A B + bias/ReLU epilogue (g.B is ignored, non-transposed A, no batch) where B is
 * never materialized: `pack` writes the panels straight from its source (e.g. an image for conv).
 * Needs a variant with a packed micro-kernel (not the reference).
 */
void gemm_packed_b(const KernelVariant& v, const GemmArgs& g, const PackBFn& pack, int threads);

}  // namespace armml
