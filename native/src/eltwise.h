// Elementwise drivers: run the selected binary_f32 / unary_f32 variant over broadcast rows and
// spread large tensors over the thread pool.
#pragma once
#include <cstddef>
#include <cstdint>

#include "variants.h"

namespace armml {

/**
 * Broadcast binary op: `rows` output rows of `n` elements; row r reads a from startsA[r] with step
 * stepA (0 or 1) and b likewise; y is written densely (row r at r*n).
 */
void binary_rows(const KernelVariant& v, BinaryOp op, const float* a, const int32_t* startsA, size_t stepA,
                 const float* b, const int32_t* startsB, size_t stepB, float* y, size_t n, size_t rows, int threads);

/** y[i] = op(x[i]) for i < n. */
void unary_all(const KernelVariant& v, UnaryOp op, const float* x, float* y, size_t n, float alpha, float beta,
               int threads);

}  // namespace armml
