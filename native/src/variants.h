// The kernel variant table and runtime selection: the one place that knows which variants exist,
// what they need from the CPU, and which one each family uses.
#pragma once
#include <string>
#include <vector>

#include "../kernels/kernels.h"
#include "cpu.h"

namespace armml {

struct KernelVariant {
  const char* name;    // file/kernel name, see native/kernels/README.md
  const char* family;  // "matmul_f32", "conv2d_f32", "dwconv2d_f32", "binary_f32", "unary_f32", "peak_f32", "pool2d_f32",
                       // "gemv_f32", "softmax_f32", "layernorm_f32", "matmul_qai8dxp_qsi8cxp", "matmul_qai8dxp_qsi4c32p"
  const char* isa;     // "scalar", "portable", "avx2+fma", "avx2", "avx512f", "neon", "sve"
  int mr, nr, kr, sr;  // register tile (rows x columns), K unroll of packing, packing split; nr of a
                       // vector-length agnostic (SVE) entry is set at run time, 0 where unsupported
  int priority;        // higher wins in automatic selection
  bool reference;      // the family's oracle / baseline kernel
  bool (*supported)(const CpuInfo&);
  // Exactly one of these is set, according to the family.
  MatmulUkernel matmul_ukernel;
  void (*matmul_full)(const GemmArgs&);
  void (*conv_full)(const Conv2dShape&, const float*, const float*, const float*, float*, const Epilogue&);
  DwconvKernel dwconv;
  BinaryKernel binary;
  UnaryKernel unary;
  PeakKernel peak;  // the machine-peak probe (native/src/peak.h), not an operator
  PoolKernel pool;
  GemvKernel gemv;  // matrix-vector products (M < 4), see native/src/gemv.h
  SoftmaxKernel softmax;      // softmax / log-softmax over contiguous rows, see native/src/rows.h
  LayerNormKernel layernorm;  // layer / RMS normalization over contiguous rows
  // Optional, matmul_f32 only: tiles for edges and for A read in place (kernels.h). Without it
  // the driver packs A and runs edge tiles through a padded scratch tile.
  MatmulTileSelect matmul_tile = nullptr;
  // Quantized matmul families (matmul_qai8dxp_<weight format>): a tile over one packed panel,
  // see native/src/qgemm.h.
  QMatmulKernel qmatmul = nullptr;
};

const std::vector<KernelVariant>& all_variants();

/**
 * Resolves a variant of `family`: "auto" (best supported, or the one named in env ARMML_KERNEL),
 * "reference", or an exact variant name. Throws std::invalid_argument with a clear message for
 * unknown or unsupported names.
 */
const KernelVariant& resolve_variant(const std::string& family, const std::string& request);

/** The variant "auto" picks for a family (decided once per process). */
const KernelVariant& selected_variant(const std::string& family);

/** The variant of `family` that env ARMML_KERNEL names (and this CPU supports), or nullptr. */
const KernelVariant* env_variant(const std::string& family);

/** Finds a variant by exact name in any family, or nullptr. */
const KernelVariant* find_variant(const std::string& name);

}  // namespace armml
