// Row-reduction drivers: run the selected softmax_f32 / layernorm_f32 variant over contiguous
// rows and spread large tensors over the thread pool (whole rows per task).
#pragma once
#include <cstddef>

#include "variants.h"

namespace armml {

void softmax_rows(const KernelVariant& v, const SoftmaxArgs& a, int threads);
void layernorm_rows(const KernelVariant& v, const LayerNormArgs& a, int threads);

}  // namespace armml
