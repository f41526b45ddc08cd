// Pooling driver: runs the selected pool2d_f32 variant over every plane, planes spread over the
// thread pool.
#pragma once
#include <cstddef>

#include "variants.h"

namespace armml {

/**
 * `planes` planes of H*W inputs at x to OH*OW outputs at y; `shape` holds everything but the
 * plane pointers (W, OH, OW, dilations, tap tables, max/avg).
 */
void pool2d_planes(const KernelVariant& v, const PoolPlane& shape, const float* x, float* y, size_t planes, size_t H,
                   int threads);

}  // namespace armml
