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

/**
 * A register tile the driver shapes to the product: rows x cols of C (at most mr x nr; columns
 * past `cols` are neither read nor written, so right-edge tiles write C directly) from an nr-wide
 * packed B panel and A either packed (lda == 0: the mr-row panel, as for MatmulUkernel) or read
 * in place (row i at a + i*lda, its kc values contiguous). Otherwise as MatmulUkernel; the
 * epilogue operands need cover only the rows x cols written.
 */
using MatmulTile = void (*)(size_t kc, const float* a, size_t lda, const float* b, float* c, size_t ldc, size_t cols,
                            bool accumulate, const Epilogue* ep);
/** A variant's tile for rows x cols with A in place or packed; null when it has none for that shape. */
using MatmulTileSelect = MatmulTile (*)(size_t rows, size_t cols, bool in_place_a);

/** Naive reference GEMM (no packing, no tiling): the baseline and the oracle for tests. */
void matmul_f32_1x1_scalar_ref(const GemmArgs& g);

#define ARMML_UKERNEL(name) \
  void name(size_t kc, const float* a, const float* b, float* c, size_t ldc, bool accumulate, const Epilogue* ep)
ARMML_UKERNEL(matmul_f32_4x8_portable);
#if defined(__x86_64__)
ARMML_UKERNEL(matmul_f32_6x16_avx2_fma);
ARMML_UKERNEL(matmul_f32_14x32_avx512);
MatmulTile matmul_f32_6x16_avx2_fma_tile(size_t rows, size_t cols, bool in_place_a);
MatmulTile matmul_f32_14x32_avx512_tile(size_t rows, size_t cols, bool in_place_a);
/** Packs one 14-row A panel (non-transposed A, lda * 14 < 2^31 / 4) for the 14x32 AVX-512 kernel. */
void matmul_f32_14x32_avx512_pack_a(const float* A, size_t lda, size_t rows, size_t kc, float alpha, float* panel);
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

/** Rows of A a GEMV kernel takes at once: gemm() routes products with M < 4 to gemv_f32. */
constexpr size_t kGemvMaxM = 3;

/**
 * A matrix-vector product (1 to kGemvMaxM rows of A) over the column range [j0, j1):
 * C[i][j] = act(alpha * sum_k A[i*lda + k] op(B)[k][j] + beta*C[i][j] + bias_m[i] + bias_n[j] + residual[i*ldr + j]),
 * op(B)[k][j] = B[k*ldb + j] (K x N) or, with transB, B[j*ldb + k] (N x K: the Linear weight layout).
 * The epilogue pointers cover the whole M x N problem (the kernel offsets them by j0). beta = 0
 * means C is write-only. B is streamed once per call (every row of A uses each value while it
 * is in registers), so a kernel runs at memory speed.
 */
struct GemvArgs {
  size_t M = 1, N = 0, K = 0;
  const float* A = nullptr;  // M rows of K contiguous values
  size_t lda = 0;
  const float* B = nullptr;
  size_t ldb = 0;
  bool transB = false;
  float* C = nullptr;
  size_t ldc = 0;
  float alpha = 1.0f;
  float beta = 0.0f;
  Epilogue ep;
};
using GemvKernel = void (*)(const GemvArgs& g, size_t j0, size_t j1);

void gemv_f32_1x1_scalar_ref(const GemvArgs& g, size_t j0, size_t j1);
void gemv_f32_1x8_portable(const GemvArgs& g, size_t j0, size_t j1);
#if defined(__x86_64__)
void gemv_f32_1x32_avx2_fma(const GemvArgs& g, size_t j0, size_t j1);
void gemv_f32_1x64_avx512(const GemvArgs& g, size_t j0, size_t j1);
#endif
#if defined(__aarch64__)
void gemv_f32_1x16_neon_fma(const GemvArgs& g, size_t j0, size_t j1);
#endif

/**
 * Quantized matrix products (the int8 and int4 modes), KleidiAI's scheme: activations quantized
 * per row at run time to asymmetric int8 (`qai8dx`: a = scale * (q - zero_point)), weights to
 * symmetric int8 per output channel (`qsi8cx`) or 4-bit per output channel (`qsi4cx`) or per
 * group of 32 depths (`qsi4c32`). The integer sums are exact; each group's sum is scaled once.
 *
 * The packed weights (native/src/qgemm.h packs them) are 16-column panels. Depth is padded with
 * zero weights to kp, a multiple of 32, and cut into groups of `group` depths (32 for qsi4c32,
 * kp for the per-channel formats). Each group of a panel holds group/2 steps of 32 weights, step s
 * covering depths 2s and 2s+1 of the group: element e = 2*j + d is column j at depth 2s + d; int8
 * stores element e in byte e, int4 stores elements e and e + 16 in the low and high nibble of
 * byte e (so one 16-byte load yields columns 0-7 and 8-15). Then 16 float scales and 16 int32
 * column sums (of the group's quantized weights).
 */
constexpr size_t kQnr = 16;     // columns of a packed panel
constexpr size_t kQkBlock = 32;  // depth padding and the qsi4c32 group

/** One tile: rows (1..4) x cols (1..16) of C from one panel, the whole depth. */
struct QMatmulTile {
  size_t rows = 0, cols = 0;
  size_t kp = 0, group = 0;
  const int16_t* a = nullptr;  // quantized activations, kp values per row (zero past K), row stride lda
  size_t lda = 0;
  const float* a_scale = nullptr;   // per row
  const int32_t* a_zero = nullptr;  // per row
  const uint8_t* b = nullptr;       // the panel
  float* c = nullptr;
  size_t ldc = 0;
  const Epilogue* ep = nullptr;  // offset to the tile (bias_n, residual), or null
};
using QMatmulKernel = void (*)(const QMatmulTile& t);

/** Bytes of one packed group of a panel: its weights, then 16 scales and 16 column sums. */
constexpr size_t qpanel_group_bytes(int bits, size_t group) { return group * kQnr * size_t(bits) / 8 + kQnr * 8; }

void matmul_qai8dxp_qsi8cxp_4x16_portable(const QMatmulTile& t);
void matmul_qai8dxp_qsi4c32p_4x16_portable(const QMatmulTile& t);
#if defined(__x86_64__)
void matmul_qai8dxp_qsi8cxp_4x16_avx2(const QMatmulTile& t);
void matmul_qai8dxp_qsi4c32p_4x16_avx2(const QMatmulTile& t);
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
 * Depthwise 2-D convolution (NCHW, one filter per channel) over `channels` consecutive planes of
 * one image, output rows [oy0, oy1) of each. The planes are not padded: the kernel handles the
 * borders itself (taps that fall in the padding contribute nothing) and reads nothing outside
 * them, so x may be the caller's tensor as is. Plane c reads x + c*H*W and the kH*kW filter at
 * w + c*kH*kW, and writes y + c*outH*outW (row stride outW). padB/padR are implied by
 * outH/outW. The epilogue runs on the output block in registers, in this order:
 * + ep.bias_m[c] (one bias per channel), + the residual (laid out exactly like y: plane c at
 * ep.residual + c*outH*outW; ep.ldr is not read), then ep.act (see Activation). ep.bias_n is
 * not read.
 */
struct DwconvArgs {
  const float* x = nullptr;
  const float* w = nullptr;
  float* y = nullptr;
  size_t channels = 0;
  size_t H = 0, W = 0, outH = 0, outW = 0;
  size_t kH = 0, kW = 0, strideH = 1, strideW = 1, dilH = 1, dilW = 1, padT = 0, padL = 0;
  size_t oy0 = 0, oy1 = 0;
  Epilogue ep;
};
using DwconvKernel = void (*)(const DwconvArgs& a);

void dwconv2d_f32_4x4_portable(const DwconvArgs& a);
#if defined(__x86_64__)
void dwconv2d_f32_4x8_avx2_fma(const DwconvArgs& a);
void dwconv2d_f32_8x16_avx512(const DwconvArgs& a);
#endif
#if defined(__aarch64__)
void dwconv2d_f32_8x4_neon_fma(const DwconvArgs& a);
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
  Erf = 8,
  Gelu = 9,      // x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)): the exact (erf) form
  GeluTanh = 10, // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) = x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3))
};

/**
 * y[i] = op(x[i]) for i < n; y may alias x. Exp-based ops stay within a few ulp of libm; Erf, Gelu
 * and GeluTanh within 1e-5 relative of the double-precision formulas (the reference computes in
 * double, so it needs no cancellation-prone 1 + erf in float).
 */
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
 * Softmax over `rows` contiguous rows of `n` floats (row r at x + r*n, written at y + r*n; y may
 * alias x): y = exp(x - max) / sum, or with `log` y = (x - max) - log(sum). Numerically stable:
 * the max is subtracted before exp, and the sum is accumulated in double. NaN behaviour follows
 * the TypeScript op: a NaN or +inf in a row, or a row of only -inf, makes the whole row NaN.
 */
struct SoftmaxArgs {
  const float* x = nullptr;
  float* y = nullptr;
  size_t n = 0, rows = 0;
  bool log = false;
};
/** Computes rows [r0, r1). */
using SoftmaxKernel = void (*)(const SoftmaxArgs& a, size_t r0, size_t r1);

/**
 * Layer normalization over `rows` contiguous rows of `n` floats (y may alias x):
 * y = (x - mean) * rstd * gamma[j] + beta[j], rstd = 1 / sqrt(var + eps) with the population
 * variance; with `rms` (RMSNorm / SimplifiedLayerNormalization) the mean is not subtracted and
 * rstd = 1 / sqrt(mean(x^2) + eps). gamma and beta (n values each) may be null (1 and 0). The
 * row statistics go to mean[r] and rstd[r] when those are not null (mean is 0 with `rms`).
 * Statistics are accumulated in double, as the TypeScript op does, so long rows and rows with a
 * large offset stay accurate.
 */
struct LayerNormArgs {
  const float* x = nullptr;
  float* y = nullptr;
  size_t n = 0, rows = 0;
  const float* gamma = nullptr;
  const float* beta = nullptr;
  float eps = 1e-5f;
  bool rms = false;
  float* mean = nullptr;
  float* rstd = nullptr;
};
/** Computes rows [r0, r1). */
using LayerNormKernel = void (*)(const LayerNormArgs& a, size_t r0, size_t r1);

void softmax_f32_1x1_scalar_ref(const SoftmaxArgs& a, size_t r0, size_t r1);
void layernorm_f32_1x1_scalar_ref(const LayerNormArgs& a, size_t r0, size_t r1);
#if defined(__x86_64__)
void softmax_f32_1x8_avx2_fma(const SoftmaxArgs& a, size_t r0, size_t r1);
void layernorm_f32_1x8_avx2_fma(const LayerNormArgs& a, size_t r0, size_t r1);
void softmax_f32_1x16_avx512(const SoftmaxArgs& a, size_t r0, size_t r1);
void layernorm_f32_1x16_avx512(const LayerNormArgs& a, size_t r0, size_t r1);
#endif
#if defined(__aarch64__)
void softmax_f32_1x4_neon_fma(const SoftmaxArgs& a, size_t r0, size_t r1);
void layernorm_f32_1x4_neon_fma(const LayerNormArgs& a, size_t r0, size_t r1);
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
