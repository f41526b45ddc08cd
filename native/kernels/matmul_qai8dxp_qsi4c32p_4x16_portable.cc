// Quantized GEMM tile, portable: dynamically quantized int8 activations x 4-bit weights, one scale per group of 32 depths.
#include "qmatmul_portable.h"

namespace armml {
void matmul_qai8dxp_qsi4c32p_4x16_portable(const QMatmulTile& t) { qmatmul_tile_portable<4>(t); }
}  // namespace armml
