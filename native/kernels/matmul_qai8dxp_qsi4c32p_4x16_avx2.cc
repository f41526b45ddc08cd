// Quantized GEMM tile, AVX2: dynamically quantized int8 activations x 4-bit weights, one scale per group of 32 depths.
#include "qmatmul_avx2.h"

namespace armml {
void matmul_qai8dxp_qsi4c32p_4x16_avx2(const QMatmulTile& t) { qmatmul_tile_avx2<4>(t); }
}  // namespace armml
