#include "peak.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <new>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace armml {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Plain threads rather than the kernel pool: the pool runs a region on the caller alone when it
// is busy, which would silently measure one thread. All workers start together at a barrier.
double run_together(int threads, const std::function<void(int)>& body) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; t++) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      body(t);
    });
  }
  while (ready.load() < threads - 1) std::this_thread::yield();
  const auto t0 = Clock::now();
  go.store(true, std::memory_order_release);
  body(0);
  for (auto& th : pool) th.join();
  return seconds_since(t0);
}

// The bandwidth buffer. On Linux it asks for transparent huge pages: first touch of 256 MB in
// 4 KB pages costs more page faults than the measurement itself.
class Buffer {
 public:
  explicit Buffer(size_t bytes) : bytes_(bytes) {
#if defined(__linux__)
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    madvise(p, bytes, MADV_HUGEPAGE);
    data_ = static_cast<uint64_t*>(p);
#else
    data_ = new uint64_t[bytes / sizeof(uint64_t)];
#endif
  }
  ~Buffer() {
#if defined(__linux__)
    munmap(data_, bytes_);
#else
    delete[] data_;
#endif
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  uint64_t* data() const { return data_; }

 private:
  size_t bytes_;
  uint64_t* data_;
};

}  // namespace

double measure_fma_gflops(const KernelVariant& v, int threads, double ms) {
  threads = std::max(1, threads);
  // The chain settles at b / (1 - a) = 1: no overflow, no denormals, and the compiler cannot fold it.
  const float a = 0.999f, b = 0.001f;
  std::vector<float> sinks(size_t(threads) * 16);  // one cache line per thread
  // Calibrate on one thread: double the repetitions until a call takes at least 2 ms.
  size_t reps = 1 << 12;
  double rate = 0.0;  // reps per second
  for (;;) {
    const auto t0 = Clock::now();
    v.peak(reps, a, b, &sinks[0]);
    const double s = seconds_since(t0);
    if (s >= 2e-3 || reps >= (size_t(1) << 40)) {
      rate = double(reps) / std::max(s, 1e-9);
      break;
    }
    reps *= 2;
  }
  // Trials of ~10 ms each (short enough that a noisy neighbour spoils only some), best one kept.
  const double budget_s = std::max(ms, 1.0) / 1e3;
  const double trial_s = std::min(0.010, budget_s / 3);
  const size_t trial_reps = std::max<size_t>(1, size_t(rate * trial_s));
  double best = 0.0;
  const auto start = Clock::now();
  int trials = 0;
  do {
    std::vector<double> flops(size_t(threads), 0.0);
    const double s = run_together(threads, [&](int t) { flops[size_t(t)] = v.peak(trial_reps, a, b, &sinks[size_t(t) * 16]); });
    double total = 0.0;
    for (double f : flops) total += f;
    best = std::max(best, total / std::max(s, 1e-9) / 1e9);
    trials++;
  } while (trials < 3 || seconds_since(start) < budget_s);
  return best;
}

double measure_read_gbps(int threads, size_t bytes, double ms) {
  threads = std::max(1, threads);
  const size_t words = std::max<size_t>(bytes / sizeof(uint64_t), size_t(threads) * 1024);
  const auto start = Clock::now();
  Buffer buffer(words * sizeof(uint64_t));
  uint64_t* buf = buffer.data();
  const size_t chunk = (words / size_t(threads)) & ~size_t(7);
  const auto range = [&](int t, size_t& lo, size_t& hi) {
    lo = size_t(t) * chunk;
    hi = t == threads - 1 ? words : lo + chunk;
  };
  // First touch by the thread that reads the part later (matters on NUMA machines).
  run_together(threads, [&](int t) {
    size_t lo, hi;
    range(t, lo, hi);
    for (size_t i = lo; i < hi; i++) buf[i] = i;
  });
  std::vector<uint64_t> sinks(size_t(threads) * 8);
  const double budget_s = std::max(ms, 1.0) / 1e3;
  double best = 0.0;
  int passes = 0;
  do {
    const double s = run_together(threads, [&](int t) {
      size_t lo, hi;
      range(t, lo, hi);
      // Integer sums: associative, so the compiler vectorizes them with the baseline ISA, and
      // four independent accumulators keep enough loads in flight.
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      size_t i = lo;
      for (; i + 4 <= hi; i += 4) {
        s0 += buf[i];
        s1 += buf[i + 1];
        s2 += buf[i + 2];
        s3 += buf[i + 3];
      }
      for (; i < hi; i++) s0 += buf[i];
      sinks[size_t(t) * 8] = s0 + s1 + s2 + s3;
    });
    best = std::max(best, double(words * sizeof(uint64_t)) / std::max(s, 1e-9) / 1e9);
    passes++;
  } while (passes < 2 || seconds_since(start) < budget_s);
  volatile uint64_t keep = 0;
  for (uint64_t x : sinks) keep = keep + x;
  (void)keep;
  return best;
}

PeakResult measure_peak(const PeakOptions& opts) {
  const auto t0 = Clock::now();
  const KernelVariant& v = resolve_variant("peak_f32", opts.variant);
  PeakResult r;
  r.threads = std::max(1, opts.threads);
  r.kernel = v.name;
  r.isa = v.isa;
  const double flop_ms = opts.bytes > 0 ? opts.ms * 0.4 : opts.ms;
  if (r.threads == 1) {
    r.gflops_per_thread = r.gflops = measure_fma_gflops(v, 1, flop_ms);
  } else {
    r.gflops_per_thread = measure_fma_gflops(v, 1, flop_ms / 2);
    r.gflops = measure_fma_gflops(v, r.threads, flop_ms / 2);
  }
  if (opts.bytes > 0) r.gbps = measure_read_gbps(r.threads, opts.bytes, opts.ms - flop_ms);
  r.measured_ms = seconds_since(t0) * 1e3;
  return r;
}

}  // namespace armml
