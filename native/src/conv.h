// 2-D convolution (NCHW) on top of the kernel table: direct depthwise, 1x1 as a plain GEMM,
// im2col + GEMM for the rest, and the naive reference for the baseline.
#pragma once
#include <string>

#include "variants.h"

namespace armml {

struct KernelChoice {
  std::string kernel;  // e.g. "conv2d_f32_im2col+matmul_f32_6x16_avx2_fma"
  std::string isa;
};

/** Throws std::invalid_argument when the geometry is inconsistent (e.g. outH/outW disagree with pads). */
void check_conv2d_shape(const Conv2dShape& s);

/**
 * y = act(conv(x, w) + bias + residual) (bias may be null; of `ep` only residual, laid out like y,
 * and the activation are read). `variant` is "auto", "reference", or a variant name from the
 * conv2d_f32, dwconv2d_f32 or matmul_f32 family (the GEMM used by im2col).
 */
KernelChoice conv2d(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y,
                    const Epilogue& ep, const std::string& variant, int threads);

/** The kernel conv2d would use, without running it. */
KernelChoice conv2d_plan(const Conv2dShape& s, const std::string& variant);

}  // namespace armml
