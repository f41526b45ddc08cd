// The interfaces every kernel variant implements, one per family. Each variant lives in its own
// file (named by the grammar in README.md) so ISA-specific files get their own compiler flags.
#pragma once
#include <cstddef>
#include <cstdint>

namespace armml {

/**
 * Activations a GEMM/conv epilogue applies while the output tile is still in registers (graph
 * mode fuses Relu, Clip/ReLU6, Sigmoid, SiLU, HardSwish and GELU into the producing kernel).
 * Numbering shared with engine/native.ts.
 */
enum class Activation : int {
  None = 0,
  Relu = 1,
  Clip = 2,         // min(max(x, alpha), beta): ReLU6 is Clip(0, 6)
  Sigmoid = 3,      // 1 / (1 + exp(-x))
  SiLU = 4,         // x * sigmoid(x)
  HardSwish = 5,    // x * max(0, min(1, x/6 + 1/2))
  Gelu = 6,         // 0.5 x (1 + erf(x / sqrt 2))
  GeluTanh = 7,     // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  LeakyRelu = 8,    // x < 0 ? alpha x : x
  HardSigmoid = 9,  // max(0, min(1, alpha x + beta))
};

/**
 * What a micro-kernel does to its tile after the last depth block, in this order:
 * v = acc [+ C when accumulating] + bias_m[i] + bias_n[j] + residual[i*ldr + j], then act(v).
 * Pointers are already offset to the tile's first row/column; null pointers are skipped. Every
 * pointer covers the whole mr x nr tile (the driver pads edge tiles).
 */
struct Epilogue {
  const float* bias_m = nullptr;    // one value per tile row (conv output channels)
  const float* bias_n = nullptr;    // one value per tile column (Gemm/MatMul bias)
  const float* residual = nullptr;  // a residual Add operand laid out like C
  size_t ldr = 0;
  Activation act = Activation::None;
  float alpha = 0.0f, beta = 0.0f;  // Clip bounds, LeakyRelu slope, HardSigmoid alpha/beta
};

/** True when the epilogue does nothing (no bias, no residual, no activation). */
inline bool epilogue_empty(const Epilogue& e) {
  return !e.bias_m && !e.bias_n && !e.residual && e.act == Activation::None;
}

/** A full (unpacked) single-precision GEMM: C = act(alpha * op(A) op(B) + beta * C + bias + residual). */
struct GemmArgs {
  size_t M = 0, N = 0, K = 0;
  const float* A = nullptr;
  size_t lda = 0;
  bool transA = false;
  const float* B = nullptr;
  size_t ldb = 0;
  bool transB = false;
  float* C = nullptr;
  size_t ldc = 0;
  float alpha = 1.0f;
  float beta = 0.0f;  // 0 means C is write-only (never read, so NaN garbage in C does not leak)
  // The epilogue for the whole matrix: bias_m has length M, bias_n length N, residual is M x N
  // with leading dimension ldr.
  Epilogue ep;
};

/**
 * Register-tiled micro-kernel over packed panels: for a kc-deep slice,
 * C[mr x nr] = (accumulate ? C : 0) + sum_k a[k*mr + i] * b[k*nr + j], C row stride ldc;
 * then, when `ep` is not null (the last depth slice), the epilogue on the tile in registers.
 */
using MatmulUkernel = void (*)(size_t kc, const float* a, const float* b, float* c, size_t ldc, bool accumulate,
                               const Epilogue* ep);

/** Naive reference GEMM (no packing, no tiling): the baseline and the oracle for tests. */
void matmul_f32_1x1_scalar_ref(const GemmArgs& g);

#define ARMML_UKERNEL(name) \
  void name(size_t kc, const float* a, const float* b, float* c, size_t ldc, bool accumulate, const Epilogue* ep)
ARMML_UKERNEL(matmul_f32_4x8_portable);
#if defined(__x86_64__)
ARMML_UKERNEL(matmul_f32_6x16_avx2_fma);
ARMML_UKERNEL(matmul_f32_14x32_avx512);
#endif
#if defined(__aarch64__)
ARMML_UKERNEL(matmul_f32_8x12_neon_fma);
// Vector-length agnostic: nr = 2 * sve_f32_lanes(), known only at run time.
ARMML_UKERNEL(matmul_f32_8x2vl_sve);
/**
 * svcntw(), the float lanes of one SVE vector (4 at 128 bits ... 64 at 2048). It executes an SVE
 * instruction: call it only where cpu_info().has("sve").
 */
size_t sve_f32_lanes();
#endif

/** NCHW 2-D convolution geometry. */
struct Conv2dShape {
  size_t N = 1, C = 1, H = 1, W = 1, M = 1;
  size_t kH = 1, kW = 1;
  size_t strideH = 1, strideW = 1;
  size_t padT = 0, padL = 0, padB = 0, padR = 0;
  size_t dilH = 1, dilW = 1;
  size_t group = 1;
  size_t outH = 1, outW = 1;
};

/**
 * Naive direct convolution (any group/stride/dilation): the baseline and the oracle. `bias` has
 * one value per output channel; of `ep` only the residual (laid out like y) and the activation
 * apply.
 */
void conv2d_f32_1x1_scalar_ref(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y,
                               const Epilogue& ep);

/**
 * One depthwise plane: x is the input channel already zero-padded to xw columns (with slack after
 * the last row for vector over-reads), w the kH*kW filter, y the outH*outW output.
 */
struct DwPlane {
  const float* x = nullptr;
  size_t xw = 0;
  const float* w = nullptr;
  float bias = 0.0f;
  float* y = nullptr;
  size_t outH = 0, outW = 0, kH = 0, kW = 0, strideH = 1, strideW = 1, dilH = 1, dilW = 1;
  bool relu = false;
};
using DwconvKernel = void (*)(const DwPlane& p);

void dwconv2d_f32_1x4_portable(const DwPlane& p);
#if defined(__x86_64__)
void dwconv2d_f32_1x8_avx2_fma(const DwPlane& p);
#endif
#if defined(__aarch64__)
void dwconv2d_f32_1x4_neon_fma(const DwPlane& p);
#endif

/**
 * One plane of 2D max or average pooling. For output row oh the taps jh in [loH[oh], hiH[oh]) read
 * input row startH[oh] + jh*dilH, and likewise along W; average divides the sum (in double) by
 * the taps read, or by padH[oh]*padW[ow] with count_include_pad. The caller builds the tap tables,
 * so every variant and the TypeScript baseline visit the same taps in the same order.
 */
struct PoolPlane {
  const float* x = nullptr;
  float* y = nullptr;
  size_t W = 0, OH = 0, OW = 0, dilH = 1, dilW = 1;
  const int32_t *startH = nullptr, *loH = nullptr, *hiH = nullptr, *padH = nullptr;
  const int32_t *startW = nullptr, *loW = nullptr, *hiW = nullptr, *padW = nullptr;
  bool max = true;
  bool includePad = false;
};
using PoolKernel = void (*)(const PoolPlane& p);

void pool2d_f32_1x1_portable(const PoolPlane& p);

/**
 * Elementwise binary operators on float32 (numbering shared with engine/native.ts). ScaleShift is
 * y = fma(a, b[0], b[1]) with b one (scale, shift) pair per row whatever bs says: the per-channel
 * affine of an inference BatchNormalization in one pass instead of a Mul pass and an Add pass.
 */
enum class BinaryOp : int { Add = 0, Sub = 1, Mul = 2, Div = 3, ScaleShift = 4 };

/**
 * One broadcast row: y[k] = a[k*as] op b[k*bs] for k < n, where as and bs are 1 (contiguous) or
 * 0 (a repeated scalar). Division is IEEE division (never a reciprocal multiply); ScaleShift is
 * one fused multiply-add per element, so every variant rounds it the same way.
 */
using BinaryKernel = void (*)(BinaryOp op, const float* a, size_t as, const float* b, size_t bs, float* y, size_t n);

/** Elementwise activations on float32 (numbering shared with engine/native.ts). */
enum class UnaryOp : int {
  Relu = 0,
  Clip = 1,         // min(max(x, alpha), beta)
  Sigmoid = 2,      // 1 / (1 + exp(-x))
  HardSigmoid = 3,  // max(0, min(1, alpha*x + beta))
  HardSwish = 4,    // x * max(0, min(1, x/6 + 1/2))
  LeakyRelu = 5,    // x < 0 ? alpha*x : x
  Exp = 6,
  Tanh = 7,
};

/** y[i] = op(x[i]) for i < n; y may alias x. Exp-based ops stay within a few ulp of libm. */
using UnaryKernel = void (*)(UnaryOp op, const float* x, float* y, size_t n, float alpha, float beta);

void binary_f32_1x1_scalar_ref(BinaryOp op, const float* a, size_t as, const float* b, size_t bs, float* y, size_t n);
void unary_f32_1x1_scalar_ref(UnaryOp op, const float* x, float* y, size_t n, float alpha, float beta);
#if defined(__x86_64__)
void binary_f32_1x8_avx2_fma(BinaryOp op, const float* a, size_t as, const float* b, size_t bs, float* y, size_t n);
void unary_f32_1x8_avx2_fma(UnaryOp op, const float* x, float* y, size_t n, float alpha, float beta);
#endif
#if defined(__aarch64__)
void binary_f32_1x4_neon_fma(BinaryOp op, const float* a, size_t as, const float* b, size_t bs, float* y, size_t n);
void unary_f32_1x4_neon_fma(UnaryOp op, const float* x, float* y, size_t n, float alpha, float beta);
#endif

/**
 * Peak-FLOP probe: `reps` rounds of independent multiply-add chains held in registers
 * (acc = acc * a + b, with a < 1 so values settle instead of overflowing). Returns the flops done
 * (2 per lane per FMA); the folded accumulators go to *sink so the work cannot be optimized away.
 */
using PeakKernel = double (*)(size_t reps, float a, float b, float* sink);

double peak_f32_8x4_portable(size_t reps, float a, float b, float* sink);
#if defined(__x86_64__)
double peak_f32_12x8_avx2_fma(size_t reps, float a, float b, float* sink);
double peak_f32_16x16_avx512(size_t reps, float a, float b, float* sink);
#endif
#if defined(__aarch64__)
double peak_f32_16x4_neon_fma(size_t reps, float a, float b, float* sink);
double peak_f32_20x1vl_sve(size_t reps, float a, float b, float* sink);  // 20 chains x svcntw() lanes
#endif

}  // namespace armml
