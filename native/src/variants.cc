#include "variants.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace armml {

namespace {

bool always(const CpuInfo&) { return true; }
[[maybe_unused]] bool has_avx2_fma(const CpuInfo& c) { return c.has("avx2") && c.has("fma"); }
[[maybe_unused]] bool has_avx512f(const CpuInfo& c) { return c.has("avx512f"); }
[[maybe_unused]] bool has_neon(const CpuInfo& c) { return c.has("neon"); }
[[maybe_unused]] bool has_sve(const CpuInfo& c) { return c.has("sve"); }

#if defined(__aarch64__)
// Float lanes of one SVE vector, asked of the SVE file only where the CPU has SVE (svcntw() is an
// SVE instruction); 0 elsewhere, so the vector-length agnostic entries carry nr = 0 there.
int sve_lanes() {
  static const int lanes = cpu_info().has("sve") ? int(sve_f32_lanes()) : 0;
  return lanes;
}
#endif

std::vector<KernelVariant> build_table() {
  std::vector<KernelVariant> t;
  // name, family, isa, mr, nr, kr, sr, priority, reference, supported, matmul_ukernel, matmul_full, conv_full, dwconv,
  // binary, unary, peak, pool, gemv, softmax, layernorm[, matmul_tile]
  t.push_back({"matmul_f32_1x1_scalar_ref", "matmul_f32", "scalar", 1, 1, 1, 1, 0, true, always, nullptr,
               matmul_f32_1x1_scalar_ref, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
  t.push_back({"matmul_f32_4x8_portable", "matmul_f32", "portable", 4, 8, 1, 1, 10, false, always,
               matmul_f32_4x8_portable, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
#if defined(__x86_64__)
  t.push_back({"matmul_f32_6x16_avx2_fma", "matmul_f32", "avx2+fma", 6, 16, 1, 1, 30, false, has_avx2_fma,
               matmul_f32_6x16_avx2_fma, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
               matmul_f32_6x16_avx2_fma_tile});
  t.push_back({"matmul_f32_14x32_avx512", "matmul_f32", "avx512f", 14, 32, 1, 1, 40, false, has_avx512f,
               matmul_f32_14x32_avx512, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
               matmul_f32_14x32_avx512_tile});
#endif
#if defined(__aarch64__)
  t.push_back({"matmul_f32_8x12_neon_fma", "matmul_f32", "neon", 8, 12, 1, 1, 30, false, has_neon,
               matmul_f32_8x12_neon_fma, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
  // Tile 8 x (2 SVE vectors): nr is 2 * svcntw() on this CPU (8 at 128-bit SVE, 32 at 512-bit).
  t.push_back({"matmul_f32_8x2vl_sve", "matmul_f32", "sve", 8, 2 * sve_lanes(), 1, 1, 40, false, has_sve,
               matmul_f32_8x2vl_sve, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
#endif
  // Quantized matmul tiles (mr x nr = 4 x 16, kr = 2 depths per weight pair): graph mode's int8
  // (qsi8cxp) and int4 (qsi4c32p) weights with dynamically quantized int8 activations.
  const auto q = [](const char* name, const char* family, const char* isa, int priority, bool (*supported)(const CpuInfo&),
                    QMatmulKernel kernel) {
    KernelVariant v{};
    v.name = name;
    v.family = family;
    v.isa = isa;
    v.mr = 4;
    v.nr = int(kQnr);
    v.kr = 2;
    v.sr = 1;
    v.priority = priority;
    v.supported = supported;
    v.qmatmul = kernel;
    return v;
  };
  t.push_back(q("matmul_qai8dxp_qsi8cxp_4x16_portable", "matmul_qai8dxp_qsi8cxp", "portable", 10, always,
                matmul_qai8dxp_qsi8cxp_4x16_portable));
  t.push_back(q("matmul_qai8dxp_qsi4c32p_4x16_portable", "matmul_qai8dxp_qsi4c32p", "portable", 10, always,
                matmul_qai8dxp_qsi4c32p_4x16_portable));
#if defined(__x86_64__)
  t.push_back(q("matmul_qai8dxp_qsi8cxp_4x16_avx2", "matmul_qai8dxp_qsi8cxp", "avx2", 30, has_avx2_fma,
                matmul_qai8dxp_qsi8cxp_4x16_avx2));
  t.push_back(q("matmul_qai8dxp_qsi4c32p_4x16_avx2", "matmul_qai8dxp_qsi4c32p", "avx2", 30, has_avx2_fma,
                matmul_qai8dxp_qsi4c32p_4x16_avx2));
#endif
  t.push_back({"conv2d_f32_1x1_scalar_ref", "conv2d_f32", "scalar", 1, 1, 1, 1, 0, true, always, nullptr, nullptr,
               conv2d_f32_1x1_scalar_ref, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
  t.push_back({"dwconv2d_f32_4x4_portable", "dwconv2d_f32", "portable", 4, 4, 1, 1, 10, false, always, nullptr,
               nullptr, nullptr, dwconv2d_f32_4x4_portable, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
#if defined(__x86_64__)
  t.push_back({"dwconv2d_f32_4x8_avx2_fma", "dwconv2d_f32", "avx2+fma", 4, 8, 1, 1, 30, false, has_avx2_fma,
               nullptr, nullptr, nullptr, dwconv2d_f32_4x8_avx2_fma, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
  t.push_back({"dwconv2d_f32_8x16_avx512", "dwconv2d_f32", "avx512f", 8, 16, 1, 1, 40, false, has_avx512f,
               nullptr, nullptr, nullptr, dwconv2d_f32_8x16_avx512, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
#endif
#if defined(__aarch64__)
  t.push_back({"dwconv2d_f32_8x4_neon_fma", "dwconv2d_f32", "neon", 8, 4, 1, 1, 30, false, has_neon, nullptr,
               nullptr, nullptr, dwconv2d_f32_8x4_neon_fma, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
#endif
  t.push_back({"binary_f32_1x1_scalar_ref", "binary_f32", "scalar", 1, 1, 1, 1, 0, true, always, nullptr, nullptr,
               nullptr, nullptr, binary_f32_1x1_scalar_ref, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
  t.push_back({"unary_f32_1x1_scalar_ref", "unary_f32", "scalar", 1, 1, 1, 1, 0, true, always, nullptr, nullptr,
               nullptr, nullptr, nullptr, unary_f32_1x1_scalar_ref, nullptr, nullptr, nullptr, nullptr, nullptr});
#if defined(__x86_64__)
  t.push_back({"binary_f32_1x8_avx2_fma", "binary_f32", "avx2+fma", 1, 8, 1, 1, 30, false, has_avx2_fma, nullptr, nullptr,
               nullptr, nullptr, binary_f32_1x8_avx2_fma, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
  t.push_back({"unary_f32_1x8_avx2_fma", "unary_f32", "avx2+fma", 1, 8, 1, 1, 30, false, has_avx2_fma, nullptr,
               nullptr, nullptr, nullptr, nullptr, unary_f32_1x8_avx2_fma, nullptr, nullptr, nullptr, nullptr, nullptr});
#endif
#if defined(__aarch64__)
  t.push_back({"binary_f32_1x4_neon_fma", "binary_f32", "neon", 1, 4, 1, 1, 30, false, has_neon, nullptr, nullptr,
               nullptr, nullptr, binary_f32_1x4_neon_fma, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
  t.push_back({"unary_f32_1x4_neon_fma", "unary_f32", "neon", 1, 4, 1, 1, 30, false, has_neon, nullptr, nullptr,
               nullptr, nullptr, nullptr, unary_f32_1x4_neon_fma, nullptr, nullptr, nullptr, nullptr, nullptr});
#endif
  t.push_back({"peak_f32_8x4_portable", "peak_f32", "portable", 8, 4, 1, 1, 10, false, always, nullptr, nullptr,
               nullptr, nullptr, nullptr, nullptr, peak_f32_8x4_portable, nullptr, nullptr, nullptr, nullptr});
#if defined(__x86_64__)
  t.push_back({"peak_f32_12x8_avx2_fma", "peak_f32", "avx2+fma", 12, 8, 1, 1, 30, false, has_avx2_fma, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, peak_f32_12x8_avx2_fma, nullptr, nullptr, nullptr, nullptr});
  t.push_back({"peak_f32_16x16_avx512", "peak_f32", "avx512f", 16, 16, 1, 1, 40, false, has_avx512f, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, peak_f32_16x16_avx512, nullptr, nullptr, nullptr, nullptr});
#endif
#if defined(__aarch64__)
  t.push_back({"peak_f32_16x4_neon_fma", "peak_f32", "neon", 16, 4, 1, 1, 30, false, has_neon, nullptr, nullptr,
               nullptr, nullptr, nullptr, nullptr, peak_f32_16x4_neon_fma, nullptr, nullptr, nullptr, nullptr});
  t.push_back({"peak_f32_20x1vl_sve", "peak_f32", "sve", 20, sve_lanes(), 1, 1, 40, false, has_sve, nullptr, nullptr,
               nullptr, nullptr, nullptr, nullptr, peak_f32_20x1vl_sve, nullptr, nullptr, nullptr, nullptr});
#endif
  t.push_back({"pool2d_f32_1x1_portable", "pool2d_f32", "portable", 1, 1, 1, 1, 10, true, always, nullptr, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, pool2d_f32_1x1_portable, nullptr, nullptr, nullptr});
  t.push_back({"gemv_f32_1x1_scalar_ref", "gemv_f32", "scalar", 1, 1, 1, 1, 0, true, always, nullptr, nullptr, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, gemv_f32_1x1_scalar_ref, nullptr, nullptr});
  t.push_back({"gemv_f32_1x8_portable", "gemv_f32", "portable", 1, 8, 1, 1, 10, false, always, nullptr, nullptr, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, gemv_f32_1x8_portable, nullptr, nullptr});
#if defined(__x86_64__)
  t.push_back({"gemv_f32_1x32_avx2_fma", "gemv_f32", "avx2+fma", 1, 32, 1, 1, 30, false, has_avx2_fma, nullptr, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, gemv_f32_1x32_avx2_fma, nullptr, nullptr});
  t.push_back({"gemv_f32_1x64_avx512", "gemv_f32", "avx512f", 1, 64, 1, 1, 40, false, has_avx512f, nullptr, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, gemv_f32_1x64_avx512, nullptr, nullptr});
#endif
#if defined(__aarch64__)
  t.push_back({"gemv_f32_1x16_neon_fma", "gemv_f32", "neon", 1, 16, 1, 1, 30, false, has_neon, nullptr, nullptr, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, gemv_f32_1x16_neon_fma, nullptr, nullptr});
#endif
  t.push_back({"softmax_f32_1x1_scalar_ref", "softmax_f32", "scalar", 1, 1, 1, 1, 0, true, always, nullptr, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, softmax_f32_1x1_scalar_ref, nullptr});
  t.push_back({"layernorm_f32_1x1_scalar_ref", "layernorm_f32", "scalar", 1, 1, 1, 1, 0, true, always, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
               layernorm_f32_1x1_scalar_ref});
#if defined(__x86_64__)
  t.push_back({"softmax_f32_1x8_avx2_fma", "softmax_f32", "avx2+fma", 1, 8, 1, 1, 30, false, has_avx2_fma, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, softmax_f32_1x8_avx2_fma, nullptr});
  t.push_back({"softmax_f32_1x16_avx512", "softmax_f32", "avx512f", 1, 16, 1, 1, 40, false, has_avx512f, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, softmax_f32_1x16_avx512, nullptr});
  t.push_back({"layernorm_f32_1x8_avx2_fma", "layernorm_f32", "avx2+fma", 1, 8, 1, 1, 30, false, has_avx2_fma,
               nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
               layernorm_f32_1x8_avx2_fma});
  t.push_back({"layernorm_f32_1x16_avx512", "layernorm_f32", "avx512f", 1, 16, 1, 1, 40, false, has_avx512f,
               nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
               layernorm_f32_1x16_avx512});
#endif
#if defined(__aarch64__)
  t.push_back({"softmax_f32_1x4_neon_fma", "softmax_f32", "neon", 1, 4, 1, 1, 30, false, has_neon, nullptr, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, softmax_f32_1x4_neon_fma, nullptr});
  t.push_back({"layernorm_f32_1x4_neon_fma", "layernorm_f32", "neon", 1, 4, 1, 1, 30, false, has_neon, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
               layernorm_f32_1x4_neon_fma});
#endif
  return t;
}

std::vector<std::string> env_forced() {
  std::vector<std::string> names;
  const char* env = std::getenv("ARMML_KERNEL");
  if (!env) return names;
  std::stringstream ss(env);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) names.push_back(item);
  }
  return names;
}

std::string family_names(const std::string& family) {
  std::string out;
  for (const auto& v : all_variants()) {
    if (family != v.family) continue;
    if (!out.empty()) out += ", ";
    out += v.name;
  }
  return out;
}

const KernelVariant& pick(const std::string& family) {
  const CpuInfo& cpu = cpu_info();
  if (const KernelVariant* v = env_variant(family)) return *v;
  const KernelVariant* best = nullptr;
  for (const auto& v : all_variants()) {
    if (family != v.family || !v.supported(cpu)) continue;
    if (!best || v.priority > best->priority) best = &v;
  }
  if (!best) throw std::invalid_argument("no kernel variant for family '" + family + "'");
  return *best;
}

}  // namespace

const std::vector<KernelVariant>& all_variants() {
  static const std::vector<KernelVariant> table = build_table();
  return table;
}

const KernelVariant* env_variant(const std::string& family) {
  for (const auto& name : env_forced()) {
    const KernelVariant* v = find_variant(name);
    if (v && family == v->family && v->supported(cpu_info())) return v;
  }
  return nullptr;
}

const KernelVariant* find_variant(const std::string& name) {
  for (const auto& v : all_variants()) {
    if (name == v.name) return &v;
  }
  return nullptr;
}

const KernelVariant& selected_variant(const std::string& family) {
  static std::mutex mutex;
  static std::map<std::string, const KernelVariant*> chosen;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = chosen.find(family);
  if (it != chosen.end()) return *it->second;
  const KernelVariant& v = pick(family);
  chosen[family] = &v;
  return v;
}

const KernelVariant& resolve_variant(const std::string& family, const std::string& request) {
  if (request.empty() || request == "auto") return selected_variant(family);
  if (request == "reference") {
    for (const auto& v : all_variants()) {
      if (family == v.family && v.reference) return v;
    }
    throw std::invalid_argument("family '" + family + "' has no reference variant");
  }
  const KernelVariant* v = find_variant(request);
  if (!v || family != v->family) {
    throw std::invalid_argument("unknown " + family + " kernel variant '" + request + "'; available: auto, reference, " +
                                family_names(family));
  }
  if (!v->supported(cpu_info())) {
    throw std::invalid_argument("kernel variant '" + request + "' needs " + v->isa + ", which this CPU (" +
                                cpu_info().name + ") does not support");
  }
  return *v;
}

}  // namespace armml
