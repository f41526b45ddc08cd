// Runtime CPU identification: architecture, vendor, marketing name, MIDR (Arm) and ISA features.
// Plain C++ (no Node) so the standalone kernel test and the addon share it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace armml {

struct CpuInfo {
  std::string arch;    // "x86_64", "aarch64", or the compiler's name for anything else
  std::string vendor;  // "AuthenticAMD", "GenuineIntel", "Arm", "Apple", "Ampere", ...
  std::string name;    // brand string (x86) or the core name looked up from MIDR (Arm)
  uint64_t midr = 0;   // AArch64 MIDR_EL1; 0 when unknown
  bool has_midr = false;
  std::vector<std::string> isa;  // e.g. {"avx2","fma"} or {"neon","dotprod","i8mm","bf16","sve","sve2"}
  unsigned cores = 1;
  // Data cache sizes of one core, bytes (L3 is the whole shared cache). Read from sysfs; defaults
  // (32 KiB, 512 KiB, 8 MiB) where the OS does not say.
  size_t l1d = 32 << 10, l2 = 512 << 10, l3 = 8 << 20;

  bool has(const char* feature) const;
};

/** Detected once, on first use (thread-safe). */
const CpuInfo& cpu_info();

/** Core name for an AArch64 MIDR value, e.g. 0x414fd0c1 -> "Neoverse-N1"; "" when not in the table. */
std::string arm_core_name(uint64_t midr);
/** Implementer (vendor) name for an AArch64 MIDR value. */
std::string arm_implementer_name(uint64_t midr);

}  // namespace armml
