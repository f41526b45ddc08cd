// CPU detection. x86: cpuid leaves 0/1/7 plus xgetbv, so a feature only counts when the OS also
// saves the wider registers. AArch64: HWCAP/HWCAP2 from the auxiliary vector (what the kernel
// says userspace may execute), MIDR from sysfs or, under emulators without sysfs, `mrs` when the
// kernel advertises HWCAP_CPUID (it then traps and emulates the ID register reads).
#include "cpu.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace armml {

bool CpuInfo::has(const char* feature) const {
  return std::find(isa.begin(), isa.end(), feature) != isa.end();
}

namespace {

struct MidrName {
  uint32_t implementer;
  uint32_t part;
  const char* name;
};

const MidrName kArmCores[] = {
    {0x41, 0xd03, "Cortex-A53"},     {0x41, 0xd04, "Cortex-A35"},    {0x41, 0xd05, "Cortex-A55"},
    {0x41, 0xd07, "Cortex-A57"},     {0x41, 0xd08, "Cortex-A72"},    {0x41, 0xd09, "Cortex-A73"},
    {0x41, 0xd0a, "Cortex-A75"},     {0x41, 0xd0b, "Cortex-A76"},    {0x41, 0xd0c, "Neoverse-N1"},
    {0x41, 0xd0d, "Cortex-A77"},     {0x41, 0xd40, "Neoverse-V1"},   {0x41, 0xd41, "Cortex-A78"},
    {0x41, 0xd44, "Cortex-X1"},      {0x41, 0xd46, "Cortex-A510"},   {0x41, 0xd47, "Cortex-A710"},
    {0x41, 0xd48, "Cortex-X2"},      {0x41, 0xd49, "Neoverse-N2"},   {0x41, 0xd4a, "Neoverse-E1"},
    {0x41, 0xd4b, "Cortex-A78C"},    {0x41, 0xd4d, "Cortex-A715"},   {0x41, 0xd4e, "Cortex-X3"},
    {0x41, 0xd4f, "Neoverse-V2"},    {0x41, 0xd80, "Cortex-A520"},   {0x41, 0xd81, "Cortex-A720"},
    {0x41, 0xd82, "Cortex-X4"},      {0x41, 0xd84, "Neoverse-V3"},   {0x41, 0xd8e, "Neoverse-N3"},
    {0x46, 0x001, "A64FX"},          {0x48, 0xd01, "Kunpeng-920"},   {0x4e, 0x004, "Carmel"},
    {0x51, 0x001, "Oryon"},          {0x61, 0x022, "Apple-M1-Icestorm"},
    {0x61, 0x023, "Apple-M1-Firestorm"},                             {0x61, 0x032, "Apple-M2-Blizzard"},
    {0x61, 0x033, "Apple-M2-Avalanche"},                             {0xc0, 0xac3, "AmpereOne"},
    {0xc0, 0xac4, "AmpereOne-AC04"},
};

const struct {
  uint32_t implementer;
  const char* name;
} kImplementers[] = {{0x41, "Arm"},    {0x42, "Broadcom"}, {0x43, "Cavium"}, {0x46, "Fujitsu"},
                     {0x48, "HiSilicon"}, {0x4e, "NVIDIA"}, {0x50, "APM"},    {0x51, "Qualcomm"},
                     {0x61, "Apple"},  {0x6d, "Microsoft"}, {0xc0, "Ampere"}};

#if defined(__x86_64__) || defined(__i386__)
uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (uint64_t(edx) << 32) | eax;
}

void detect_x86(CpuInfo& info) {
  info.arch = "x86_64";
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return;
  const unsigned max_leaf = a;
  char vendor[13] = {};
  std::copy_n(reinterpret_cast<char*>(&b), 4, vendor);
  std::copy_n(reinterpret_cast<char*>(&d), 4, vendor + 4);
  std::copy_n(reinterpret_cast<char*>(&c), 4, vendor + 8);
  info.vendor = vendor;

  __get_cpuid(1, &a, &b, &c, &d);
  const bool fma = (c >> 12) & 1;
  const bool osxsave = (c >> 27) & 1;
  const bool avx = (c >> 28) & 1;
  const uint64_t xcr0 = osxsave ? read_xcr0() : 0;
  const bool os_ymm = (xcr0 & 0x6) == 0x6;      // SSE + AVX state saved
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;    // plus opmask and both ZMM halves
  bool avx2 = false, avx512f = false, vnni = false, bf16 = false;
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    avx2 = (b >> 5) & 1;
    avx512f = (b >> 16) & 1;
    vnni = (c >> 11) & 1;
    __cpuid_count(7, 1, a, b, c, d);
    bf16 = (a >> 5) & 1;
  }
  if (avx && os_ymm && avx2) info.isa.push_back("avx2");
  if (avx && os_ymm && fma) info.isa.push_back("fma");
  if (os_zmm && avx512f) {
    info.isa.push_back("avx512f");
    if (vnni) info.isa.push_back("avx512_vnni");
    if (bf16) info.isa.push_back("avx512_bf16");
  }

  char brand[49] = {};
  unsigned ext = __get_cpuid_max(0x80000000, nullptr);
  if (ext >= 0x80000004) {
    for (unsigned i = 0; i < 3; i++) {
      __get_cpuid(0x80000002 + i, &a, &b, &c, &d);
      unsigned regs[4] = {a, b, c, d};
      std::copy_n(reinterpret_cast<char*>(regs), 16, brand + 16 * i);
    }
  }
  std::string name = brand;
  const auto first = name.find_first_not_of(' ');
  const auto last = name.find_last_not_of(' ');
  info.name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
}
#endif

#if defined(__aarch64__) && defined(__linux__)
// Bit positions from the Linux arm64 uapi (stable ABI), spelled out so old headers still build.
constexpr unsigned long kHwcapFp = 1UL << 0;
constexpr unsigned long kHwcapAsimd = 1UL << 1;
constexpr unsigned long kHwcapAsimdHp = 1UL << 10;
constexpr unsigned long kHwcapCpuid = 1UL << 11;
constexpr unsigned long kHwcapAsimdDp = 1UL << 20;
constexpr unsigned long kHwcapSve = 1UL << 22;
constexpr unsigned long kHwcap2Sve2 = 1UL << 1;
constexpr unsigned long kHwcap2I8mm = 1UL << 13;
constexpr unsigned long kHwcap2Bf16 = 1UL << 14;

bool read_midr_sysfs(uint64_t& midr) {
  std::ifstream f("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1");
  std::string text;
  if (!(f >> text)) return false;
  try {
    midr = std::stoull(text, nullptr, 16);
  } catch (...) {
    return false;
  }
  return true;
}

void detect_aarch64(CpuInfo& info) {
  info.arch = "aarch64";
  const unsigned long hw = getauxval(AT_HWCAP);
  const unsigned long hw2 = getauxval(AT_HWCAP2);
  if (hw & kHwcapAsimd) info.isa.push_back("neon");
  if ((hw & kHwcapFp) && (hw & kHwcapAsimdHp)) info.isa.push_back("fp16");
  if (hw & kHwcapAsimdDp) info.isa.push_back("dotprod");
  if (hw2 & kHwcap2I8mm) info.isa.push_back("i8mm");
  if (hw2 & kHwcap2Bf16) info.isa.push_back("bf16");
  if (hw & kHwcapSve) info.isa.push_back("sve");
  if (hw2 & kHwcap2Sve2) info.isa.push_back("sve2");

  uint64_t midr = 0;
  if (read_midr_sysfs(midr)) {
    info.has_midr = true;
  } else if (hw & kHwcapCpuid) {
    __asm__ volatile("mrs %0, MIDR_EL1" : "=r"(midr));
    info.has_midr = true;
  }
  if (info.has_midr) {
    info.midr = midr;
    info.vendor = arm_implementer_name(midr);
    info.name = arm_core_name(midr);
  }
  if (info.name.empty()) info.name = info.has_midr ? "unknown Arm core" : "unknown";
}
#endif

// Parses sysfs cache sizes such as "48K" or "2048K" or "105M"; 0 when unreadable.
size_t read_cache_size(const std::string& path) {
  std::ifstream f(path);
  std::string text;
  if (!(f >> text) || text.empty()) return 0;
  size_t value = 0;
  try {
    value = std::stoull(text);
  } catch (...) {
    return 0;
  }
  const char unit = text.back();
  if (unit == 'K') value <<= 10;
  if (unit == 'M') value <<= 20;
  return value;
}

void detect_caches(CpuInfo& info) {
  for (int index = 0; index < 8; index++) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
    std::ifstream lf(dir + "level"), tf(dir + "type");
    int level = 0;
    std::string type;
    if (!(lf >> level) || !(tf >> type)) break;
    if (type == "Instruction") continue;
    const size_t size = read_cache_size(dir + "size");
    if (size == 0) continue;
    if (level == 1) info.l1d = size;
    if (level == 2) info.l2 = size;
    if (level == 3) info.l3 = size;
  }
}

CpuInfo detect() {
  CpuInfo info;
  detect_caches(info);
#if defined(__x86_64__) || defined(__i386__)
  detect_x86(info);
#elif defined(__aarch64__) && defined(__linux__)
  detect_aarch64(info);
#elif defined(__aarch64__)
  info.arch = "aarch64";
  info.isa.push_back("neon");  // Advanced SIMD is mandatory in AArch64
#else
  info.arch = "unknown";
#endif
  info.cores = std::max(1u, std::thread::hardware_concurrency());
  return info;
}

}  // namespace

std::string arm_core_name(uint64_t midr) {
  const uint32_t implementer = (midr >> 24) & 0xff;
  const uint32_t part = (midr >> 4) & 0xfff;
  for (const auto& c : kArmCores) {
    if (c.implementer == implementer && c.part == part) return c.name;
  }
  return "";
}

std::string arm_implementer_name(uint64_t midr) {
  const uint32_t implementer = (midr >> 24) & 0xff;
  for (const auto& i : kImplementers) {
    if (i.implementer == implementer) return i.name;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "implementer 0x%02x", implementer);
  return buf;
}

const CpuInfo& cpu_info() {
  static const CpuInfo info = detect();
  return info;
}

}  // namespace armml
