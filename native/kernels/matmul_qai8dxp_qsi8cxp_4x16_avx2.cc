// Quantized GEMM tile, AVX2: dynamically quantized int8 activations x int8 weights, one scale per output channel.
#include "qmatmul_avx2.h"

namespace armml {
void matmul_qai8dxp_qsi8cxp_4x16_avx2(const QMatmulTile& t) { qmatmul_tile_avx2<8>(t); }
}  // namespace armml
