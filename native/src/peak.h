// Machine roofs measured on the spot: fp32 FMA peak (register-resident chains from the selected
// peak_f32 variant) and memory read bandwidth (a sum over a buffer far larger than the last-level
// cache). Plain C++ (no Node) so the standalone kernel test and the addon share it.
#pragma once
#include <cstddef>
#include <string>

#include "variants.h"

namespace armml {

struct PeakOptions {
  int threads = 1;
  /** Total wall-clock budget for both measurements, milliseconds (roughly 40% FLOPs, 60% memory). */
  double ms = 100.0;
  /** Size of the bandwidth buffer; 0 skips the bandwidth measurement. */
  size_t bytes = size_t(256) << 20;
  /** "auto" or a peak_f32 variant name. */
  std::string variant = "auto";
};

struct PeakResult {
  double gflops = 0.0;             // all `threads` together
  double gflops_per_thread = 0.0;  // one thread alone
  double gbps = 0.0;               // read bandwidth, all threads together (1e9 bytes/s)
  int threads = 1;
  double measured_ms = 0.0;  // wall time spent, including buffer setup
  std::string kernel;        // the peak_f32 variant used
  std::string isa;
};

/** Best-of-trials FMA throughput of `v` on `threads` threads for about `ms` milliseconds, GFLOP/s. */
double measure_fma_gflops(const KernelVariant& v, int threads, double ms);

/**
 * Best-of-passes read bandwidth over `bytes` bytes on `threads` threads, GB/s. `ms` bounds the
 * whole call including the buffer's first touch; at least two passes run whatever the budget.
 */
double measure_read_gbps(int threads, size_t bytes, double ms);

/** Both roofs. Throws std::invalid_argument for a bad variant name. */
PeakResult measure_peak(const PeakOptions& opts);

}  // namespace armml
