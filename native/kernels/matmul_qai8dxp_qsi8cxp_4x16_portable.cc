// Quantized GEMM tile, portable: dynamically quantized int8 activations x int8 weights, one scale per output channel.
#include "qmatmul_portable.h"

namespace armml {
void matmul_qai8dxp_qsi8cxp_4x16_portable(const QMatmulTile& t) { qmatmul_tile_portable<8>(t); }
}  // namespace armml
