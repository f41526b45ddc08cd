// The GEMM driver: blocks the problem for the caches (block sizes derived from the detected L1/L2/L3
// sizes and the micro-kernel's tile), packs A and B into the panel layout the selected micro-kernel
// reads, hands the epilogue to the micro-kernel on the last depth block, and spreads the work over
// the thread pool when the measured cost says a second thread pays.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>

#include "variants.h"

namespace armml {

struct GemmBatch {
  size_t count = 1;
  // Element strides between consecutive matrices; 0 broadcasts one matrix to every batch entry.
  size_t strideA = 0, strideB = 0, strideC = 0;
};

/** Cache blocking for one micro-kernel: kc (depth), mc (rows of A per L3 block), nc (columns of B per L2 block). */
struct GemmBlocking {
  size_t kc = 256, mc = 120, nc = 2048;
};

/** The blocking `v` uses on this CPU (mr x kc A micro-panel in half of L1, kc x nc B block in half of L2). */
GemmBlocking gemm_blocking(const KernelVariant& v);

/**
 * Runs a (batched) GEMM with variant `v` (family matmul_f32) on up to `threads` threads and returns
 * the variant that ran: products with 1 to 3 rows go to the GEMV driver (gemv.h) with
 * `gemv_variant`, or gemv_variant_for(v) when null; the reference (naive) variant runs every shape.
 */
const KernelVariant& gemm(const KernelVariant& v, const GemmArgs& g, const GemmBatch& batch, int threads,
                          const KernelVariant* gemv_variant = nullptr);

/**
 * Fills nr-column panels for depth [p0, p0+kc) x columns [j0, j0+nc) of B: panel p (columns
 * j0+p*nr ...) starts at out + p*nr*kc and holds, for each k, nr consecutive values (zero past nc).
 */
using PackBFn = std::function<void(size_t p0, size_t kc, size_t j0, size_t nc, size_t nr, float* out)>;

/**
 * C = alpha * A B + epilogue (g.B is ignored, non-transposed A, no batch) where B is never
 * materialized: `pack` writes the panels straight from its source (e.g. an image for conv).
 * Needs a variant with a packed micro-kernel (not the reference).
 */
void gemm_packed_b(const KernelVariant& v, const GemmArgs& g, const PackBFn& pack, int threads);

/**
 * B (K x N, or N x K when transposed) packed once into `variant`'s panel layout and blocking, for
 * weights reused across calls (graph mode packs them at compile time). Immutable once built, so
 * one PackedB serves any number of concurrent calls.
 */
class PackedB {
 public:
  PackedB(const KernelVariant& v, const float* B, size_t K, size_t N, size_t ldb, bool transB);
  const KernelVariant& variant() const { return *variant_; }
  size_t K() const { return K_; }
  size_t N() const { return N_; }
  size_t bytes() const { return size_ * sizeof(float); }
  /** The panels for depth block starting at p0 (a multiple of kc) and columns from j0 (a multiple of nr). */
  const float* panels(size_t p0, size_t j0) const;
  size_t kc() const { return kc_; }

 private:
  const KernelVariant* variant_;
  size_t K_, N_, Npad_, kc_, size_;
  std::unique_ptr<float, void (*)(void*)> data_;
};

/** C = act(alpha * op(A) B + beta C + epilogue) with B prepacked (g.B, g.ldb, g.transB ignored). */
void gemm_prepacked(const GemmArgs& g, const PackedB& b, int threads);

}  // namespace armml
