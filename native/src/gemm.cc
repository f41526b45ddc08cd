#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../kernels/activation_ref.h"
#include "gemv.h"
#include "threadpool.h"

namespace armml {

namespace {

// Largest register tile the driver pads edge tiles for: nr up to 2 vectors of 2048-bit SVE (the
// widest SVE allows), mr up to 16 rows (the tallest tile is 14).
constexpr size_t kMaxMr = 16, kMaxNr = 128;
// Fewer rows than this go to the GEMV driver (gemv.h), which streams B unpacked.
constexpr size_t kSmallM = kGemvMaxM + 1;

size_t round_down(size_t x, size_t m) { return std::max(m, x / m * m); }

// Splits `n` into equal blocks of at most `max` (a multiple of `m`), each rounded up to a
// multiple of m: 512 with max 432 becomes 256 + 256, not 432 + 80 (a short last block runs the
// micro-kernel at a fraction of its speed). Idempotent: balanced(n, balanced(n, max, m), m) is
// the same block, so prepacked operands and the driver agree.
size_t balanced(size_t n, size_t max, size_t m) {
  if (n <= max) return std::max(m, (n + m - 1) / m * m);
  const size_t blocks = (n + max - 1) / max;
  return std::min(max, ((n + blocks - 1) / blocks + m - 1) / m * m);
}

GemmBlocking compute_blocking(size_t mr, size_t nr) {
  const CpuInfo& cpu = cpu_info();
  GemmBlocking b;
  // The micro-kernel keeps its mr x kc A micro-panel (the broadcast side) in L1 while it sweeps
  // the nr-wide B micro-panels (the vector side) streaming from L2: the A panel takes half of L1,
  // the rest holds the B lines in flight and the C tile. Multiples of 8 keep panels aligned.
  b.kc = std::min<size_t>(512, std::max<size_t>(64, round_down(cpu.l1d / 2 / (mr * sizeof(float)), 8)));
  // The kc x nc packed B block stays in half of L2 while every A micro-panel sweeps it.
  b.nc = std::min<size_t>(round_down(4096, nr), round_down(cpu.l2 / 2 / (b.kc * sizeof(float)), nr));
  // The mc x kc packed A block lives in the last-level cache (this core's share of it).
  const size_t l3_share = cpu.l3 / std::max(1u, cpu.cores) / 2;
  b.mc = std::min<size_t>(round_down(2048, mr), round_down(l3_share / (b.kc * sizeof(float)), mr));
  return b;
}

struct AlignedBuffer {
  float* data = nullptr;
  size_t capacity = 0;
  ~AlignedBuffer() { std::free(data); }
  float* get(size_t n) {
    if (n > capacity) {
      std::free(data);
      data = nullptr;
      const size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
      data = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!data) throw std::bad_alloc();
      capacity = bytes / sizeof(float);
    }
    return data;
  }
};

// Per-thread packing buffers: each thread packs its own A block and (unless B is prepacked) its
// own B block, so threads never share a buffer.
thread_local AlignedBuffer t_pack_a;
thread_local AlignedBuffer t_pack_b;

// One mr-row panel of non-transposed A: for each k, the MR values of rows r (zero past `rows`).
// MR is a compile-time constant for the tiles in the table, so the compiler keeps the row
// pointers in registers and writes each k's MR values with one contiguous store sequence.
template <size_t MR>
void pack_a_panel(const float* A, size_t lda, size_t rows, size_t kc, float alpha, float* panel) {
  const float* src[MR];
  for (size_t r = 0; r < MR; r++) src[r] = A + std::min(r, rows - 1) * lda;
  if (alpha == 1.0f) {
    for (size_t k = 0; k < kc; k++)
      for (size_t r = 0; r < MR; r++) panel[k * MR + r] = src[r][k];
  } else {
    for (size_t k = 0; k < kc; k++)
      for (size_t r = 0; r < MR; r++) panel[k * MR + r] = alpha * src[r][k];
  }
  if (rows < MR)
    for (size_t k = 0; k < kc; k++)
      for (size_t r = rows; r < MR; r++) panel[k * MR + r] = 0.0f;
}

void pack_a_panel_any(const float* A, size_t lda, size_t rows, size_t kc, float alpha, size_t mr, float* panel) {
  for (size_t r = 0; r < rows; r++) {
    const float* src = A + r * lda;
    for (size_t k = 0; k < kc; k++) panel[k * mr + r] = alpha * src[k];
  }
  for (size_t k = 0; k < kc; k++)
    for (size_t r = rows; r < mr; r++) panel[k * mr + r] = 0.0f;
}

// Packs rows [i0, i0+mc) x depth [p0, p0+kc) of op(A), scaled by alpha, into mr-row panels: panel
// p holds for each k the mr values of rows p*mr..p*mr+mr-1 (zero past the edge).
void pack_a(const GemmArgs& g, MatmulUkernel v_ukernel, size_t i0, size_t mc, size_t p0, size_t kc, size_t mr,
            float* out) {
  for (size_t ip = 0; ip < mc; ip += mr) {
    const size_t rows = std::min(mr, mc - ip);
    float* panel = out + ip * kc;
    if (!g.transA) {
      const float* src = g.A + (i0 + ip) * g.lda + p0;
#if defined(__x86_64__)
      // The AVX-512 tile packs with gathers (its own file has the ISA flags); only run when that
      // kernel was selected, so only on CPUs with AVX-512.
      if (v_ukernel == matmul_f32_14x32_avx512 && g.lda < (size_t(1) << 25)) {
        matmul_f32_14x32_avx512_pack_a(src, g.lda, rows, kc, g.alpha, panel);
        continue;
      }
#endif
      switch (mr) {
        case 4: pack_a_panel<4>(src, g.lda, rows, kc, g.alpha, panel); break;
        case 6: pack_a_panel<6>(src, g.lda, rows, kc, g.alpha, panel); break;
        case 8: pack_a_panel<8>(src, g.lda, rows, kc, g.alpha, panel); break;
        case 14: pack_a_panel<14>(src, g.lda, rows, kc, g.alpha, panel); break;
        default: pack_a_panel_any(src, g.lda, rows, kc, g.alpha, mr, panel); break;
      }
    } else {
      for (size_t k = 0; k < kc; k++) {
        const float* src = g.A + (p0 + k) * g.lda + i0 + ip;
        for (size_t r = 0; r < rows; r++) panel[k * mr + r] = g.alpha * src[r];
        for (size_t r = rows; r < mr; r++) panel[k * mr + r] = 0.0f;
      }
    }
  }
}

// Non-transposed B, panels of width NR known at compile time: row by row of B (each row read
// contiguously across all the block's panels, which the hardware prefetcher follows; walking
// down one panel's column strip instead touches a new page per row), a few vector moves per
// panel row instead of a memcpy call. The last, partial panel is zero-padded.
template <size_t NR>
void pack_b_rows(const float* B, size_t ldb, size_t p0, size_t kc, size_t j0, size_t nc, float* out) {
  const size_t full = nc / NR * NR;
  for (size_t k = 0; k < kc; k++) {
    const float* src = B + (p0 + k) * ldb + j0;
    float* dst = out + k * NR;
    for (size_t jp = 0; jp < full; jp += NR) {
      float* d = dst + jp * kc;
      for (size_t c = 0; c < NR; c++) d[c] = src[jp + c];
    }
    if (full < nc) {
      float* d = dst + full * kc;
      size_t c = 0;
      for (; c < nc - full; c++) d[c] = src[full + c];
      for (; c < NR; c++) d[c] = 0.0f;
    }
  }
}

// Packs depth [p0, p0+kc) x columns [j0, j0+nc) of op(B) into nr-column panels (zero past the edge).
void pack_b_panels(const float* B, size_t ldb, bool transB, size_t p0, size_t kc, size_t j0, size_t nc, size_t nr,
                   float* out) {
  if (!transB) {
    switch (nr) {
      case 8: return pack_b_rows<8>(B, ldb, p0, kc, j0, nc, out);
      case 12: return pack_b_rows<12>(B, ldb, p0, kc, j0, nc, out);
      case 16: return pack_b_rows<16>(B, ldb, p0, kc, j0, nc, out);
      case 32: return pack_b_rows<32>(B, ldb, p0, kc, j0, nc, out);
      default: break;
    }
  }
  for (size_t jp = 0; jp < nc; jp += nr) {
    const size_t cols = std::min(nr, nc - jp);
    float* panel = out + jp * kc;
    if (!transB) {
      for (size_t k = 0; k < kc; k++) {
        const float* src = B + (p0 + k) * ldb + j0 + jp;
        float* dst = panel + k * nr;
        std::memcpy(dst, src, cols * sizeof(float));
        for (size_t c = cols; c < nr; c++) dst[c] = 0.0f;
      }
    } else {
      for (size_t c = 0; c < cols; c++) {
        const float* src = B + (j0 + jp + c) * ldb + p0;
        for (size_t k = 0; k < kc; k++) panel[k * nr + c] = src[k];
      }
      for (size_t c = cols; c < nr; c++)
        for (size_t k = 0; k < kc; k++) panel[k * nr + c] = 0.0f;
    }
  }
}

// The epilogue restricted to the tile at (i0, j0).
Epilogue tile_epilogue(const Epilogue& e, size_t i0, size_t j0) {
  Epilogue t = e;
  if (e.bias_m) t.bias_m = e.bias_m + i0;
  if (e.bias_n) t.bias_n = e.bias_n + j0;
  if (e.residual) t.residual = e.residual + i0 * e.ldr + j0;
  return t;
}

void scale_tile(const GemmArgs& g, size_t i0, size_t rows, size_t j0, size_t cols) {
  for (size_t i = 0; i < rows; i++) {
    float* c = g.C + (i0 + i) * g.ldc + j0;
    for (size_t j = 0; j < cols; j++) c[j] *= g.beta;
  }
}

// K == 0: the product is empty, only beta*C and the epilogue remain.
void gemm_empty_k(const GemmArgs& g) {
  for (size_t i = 0; i < g.M; i++) {
    float* c = g.C + i * g.ldc;
    for (size_t j = 0; j < g.N; j++) c[j] = g.beta != 0.0f ? g.beta * c[j] : 0.0f;
  }
  epilogue_ref(g.ep, g.C, g.ldc, g.M, g.N);
}

// One register tile. A variant with tile instances (matmul_tile) runs every shape directly on C,
// with A packed (lda == 0) or in place; otherwise the full-tile case calls the micro-kernel on C
// and an edge tile runs into a padded scratch tile (with padded epilogue operands), then only the
// valid part is copied.
void run_tile(const KernelVariant& v, size_t kc, const float* ap, size_t lda, const float* bp, float* c, size_t ldc,
              size_t rows, size_t cols, bool accumulate, const Epilogue* ep) {
  const size_t mr = size_t(v.mr), nr = size_t(v.nr);
  if (v.matmul_tile) {
    MatmulTile t = v.matmul_tile(rows, cols, lda != 0);
    if (!t) throw std::logic_error(std::string(v.name) + ": no tile for " + std::to_string(rows) + "x" + std::to_string(cols));
    return t(kc, ap, lda, bp, c, ldc, cols, accumulate, ep);
  }
  if (rows == mr && cols == nr) return v.matmul_ukernel(kc, ap, bp, c, ldc, accumulate, ep);
  MatmulUkernel kernel = v.matmul_ukernel;
  alignas(64) float tmp[kMaxMr * kMaxNr];
  alignas(64) float res[kMaxMr * kMaxNr];
  alignas(64) float bm[kMaxMr], bn[kMaxNr];
  if (accumulate)
    for (size_t i = 0; i < rows; i++) std::memcpy(tmp + i * nr, c + i * ldc, cols * sizeof(float));
  Epilogue padded;
  if (ep) {
    padded = *ep;
    if (ep->bias_m) {
      std::fill(bm, bm + mr, 0.0f);
      std::memcpy(bm, ep->bias_m, rows * sizeof(float));
      padded.bias_m = bm;
    }
    if (ep->bias_n) {
      std::fill(bn, bn + nr, 0.0f);
      std::memcpy(bn, ep->bias_n, cols * sizeof(float));
      padded.bias_n = bn;
    }
    if (ep->residual) {
      std::fill(res, res + mr * nr, 0.0f);
      for (size_t i = 0; i < rows; i++) std::memcpy(res + i * nr, ep->residual + i * ep->ldr, cols * sizeof(float));
      padded.residual = res;
      padded.ldr = nr;
    }
  }
  kernel(kc, ap, bp, tmp, nr, accumulate, ep ? &padded : nullptr);
  for (size_t i = 0; i < rows; i++) std::memcpy(c + i * ldc, tmp + i * nr, cols * sizeof(float));
}

// Whether the micro-kernel reads A where it lies instead of from packed panels. Packing costs a
// copy of the A block per column block of B, paid back by reuse over the N / nr B panels: with few
// columns (a CNN's late layers: 16-49 positions against 512 output channels) it costs as much as
// the multiply. In place needs a variant with tile instances, row-major A, alpha 1, and a row
// stride that is not a multiple of 4 KiB (the rows would then share L1 sets and evict each other).
bool a_in_place(const KernelVariant& v, const GemmArgs& g) {
  return v.matmul_tile && !g.transA && g.alpha == 1.0f && g.lda % 1024 != 0;
}

// The blocked product of one (sub-)problem on the calling thread. `get_b(pc, kc, jc, nc, buf)`
// returns the B panels for depth [pc, pc+kc) x columns [jc, jc+nc): packed into buf, or prepacked.
// Loop order: jc (nc, B block in L2) > pc (kc) > ic (mc, A block in L3) > ir (mr, A micro-panel
// in L1) > jr (nr, B micro-panels streaming from L2).
template <class GetB>
void gemm_blocked(const KernelVariant& v, const GemmArgs& g, const GemmBlocking& blk, const GetB& get_b) {
  if (g.M == 0 || g.N == 0) return;
  if (g.K == 0) return gemm_empty_k(g);
  const size_t mr = size_t(v.mr), nr = size_t(v.nr);
  if (mr > kMaxMr || nr > kMaxNr) throw std::invalid_argument(std::string(v.name) + ": register tile too large");
  const bool in_place = a_in_place(v, g);
  const size_t mc_max = balanced(g.M, blk.mc, mr), nc_max = balanced(g.N, blk.nc, nr);
  // With one B panel, each in-place A micro-panel is used once: depth blocks would only cut its
  // rows into short streams the prefetcher keeps restarting on, so the whole depth goes at once
  // while that panel still fits in half of L2. Prepacked B (PanelView, blocked by its own kc)
  // agrees: with a single panel (Npad == nr) its depth blocks follow each other contiguously, so
  // the panel at depth 0 is the whole depth.
  const size_t kc_max = in_place && g.N <= nr && g.K * nr * sizeof(float) <= cpu_info().l2 / 2
                            ? (g.K + 7) / 8 * 8
                            : balanced(g.K, blk.kc, 8);
  float* pa = in_place ? nullptr : t_pack_a.get(std::min(mc_max, (g.M + mr - 1) / mr * mr) * kc_max);
  float* pb_buf = nullptr;
  const bool has_ep = !epilogue_empty(g.ep);

  for (size_t jc = 0; jc < g.N; jc += nc_max) {
    const size_t nc = std::min(nc_max, g.N - jc);
    for (size_t pc = 0; pc < g.K; pc += kc_max) {
      const size_t kc = std::min(kc_max, g.K - pc);
      const bool first = pc == 0;
      const bool last = pc + kc == g.K;
      const float* pb = get_b(pc, kc, jc, nc, [&] {
        if (!pb_buf) pb_buf = t_pack_b.get(std::min(nc_max, (g.N + nr - 1) / nr * nr) * kc_max);
        return pb_buf;
      });
      for (size_t ic = 0; ic < g.M; ic += mc_max) {
        const size_t mc = std::min(mc_max, g.M - ic);
        if (!in_place) pack_a(g, v.matmul_ukernel, ic, mc, pc, kc, mr, pa);
        for (size_t ir = 0; ir < mc; ir += mr) {
          const size_t rows = std::min(mr, mc - ir);
          for (size_t jr = 0; jr < nc; jr += nr) {
            const size_t cols = std::min(nr, nc - jr);
            const float* bp = pb + jr * kc;
            const size_t i0 = ic + ir, j0 = jc + jr;
            float* c = g.C + i0 * g.ldc + j0;
            bool accumulate = true;
            if (first) {
              accumulate = g.beta != 0.0f;
              if (accumulate && g.beta != 1.0f) scale_tile(g, i0, rows, j0, cols);
            }
            Epilogue ep;
            if (last && has_ep) ep = tile_epilogue(g.ep, i0, j0);
            const float* ap = in_place ? g.A + i0 * g.lda + pc : pa + ir * kc;
            run_tile(v, kc, ap, in_place ? g.lda : 0, bp, c, g.ldc, rows, cols, accumulate,
                     last && has_ep ? &ep : nullptr);
          }
        }
      }
    }
  }
}

// The sub-problem covering rows [i0, i0+m) and columns [j0, j0+n) of C.
GemmArgs sub_problem(const GemmArgs& g, size_t i0, size_t m, size_t j0, size_t n) {
  GemmArgs s = g;
  s.M = m;
  s.N = n;
  s.A = g.transA ? g.A + i0 : g.A + i0 * g.lda;
  if (g.B) s.B = g.transB ? g.B + j0 * g.ldb : g.B + j0;
  s.C = g.C + i0 * g.ldc + j0;
  s.ep = tile_epilogue(g.ep, i0, j0);
  return s;
}

GemmArgs batch_entry(const GemmArgs& g, const GemmBatch& b, size_t i) {
  GemmArgs s = g;
  s.A = g.A + i * b.strideA;
  s.B = g.B + i * b.strideB;
  s.C = g.C + i * b.strideC;
  if (g.ep.residual) s.ep.residual = g.ep.residual + i * b.strideC;
  return s;
}

// What one thread costs and what waking the pool costs, measured once per micro-kernel: the
// threading decision compares estimated times instead of a fixed size threshold.
struct CostModel {
  double ns_per_fma = 0.0;  // one thread, operands in cache
  double fork_ns = 0.0;        // until a second thread works, the workers asleep
  double fork_awake_ns = 0.0;  // the same right after another region, the workers spinning
};

double now_ns() {
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count());
}

CostModel measure_cost(const KernelVariant& v) {
  CostModel m;
  const size_t mr = size_t(v.mr), nr = size_t(v.nr), kc = 128;
  // Panels must be 64-byte aligned like the packing buffers (the kernels use aligned loads).
  AlignedBuffer a, b, c;
  float* pa = a.get(mr * kc);
  float* pb = b.get(kc * nr);
  float* pc = c.get(mr * nr);
  std::fill(pa, pa + mr * kc, 0.5f);
  std::fill(pb, pb + kc * nr, 0.25f);
  double best = 1e30;
  for (int trial = 0; trial < 5; trial++) {
    const double t0 = now_ns();
    for (int r = 0; r < 64; r++) v.matmul_ukernel(kc, pa, pb, pc, nr, r > 0, nullptr);
    best = std::min(best, now_ns() - t0);
  }
  // Packing and cache misses make the real product about 1.3x slower than the in-cache kernel.
  m.ns_per_fma = 1.3 * best / (64.0 * double(mr * nr * kc));
  // The fork: time until a second thread is really at work. Task 0 waits (bounded) for task 1 to
  // start, so the caller cannot run both itself; a pause before each trial lets the worker fall
  // asleep, as it does between the ops of a model, so the wake-up is in the figure.
  std::vector<double> forks;
  ThreadPool& pool = ThreadPool::instance();
  pool.parallel_for(2, 2, [](size_t) {});  // starts the worker: thread creation is not a fork
  for (int trial = 0; trial < 8; trial++) {
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    std::atomic<int> started{0};
    const double t0 = now_ns();
    pool.parallel_for(2, 2, [&](size_t task) {
      started.fetch_add(1);
      if (task == 0)
        while (started.load() < 2 && now_ns() - t0 < 5e6) {
        }
    });
    forks.push_back(now_ns() - t0);
  }
  // The lower quartile: on a VM a trial now and then waits for the hypervisor to run the vCPU,
  // and one such outlier in the figure would keep every mid-size product on one thread for the
  // life of the process.
  std::sort(forks.begin(), forks.end());
  m.fork_ns = forks[forks.size() / 4];
  // Back to back, as a model's ops come: each trial follows the previous region at once.
  forks.clear();
  for (int trial = 0; trial < 7; trial++) {
    std::atomic<int> started{0};
    const double t0 = now_ns();
    pool.parallel_for(2, 2, [&](size_t) {
      started.fetch_add(1);
      while (started.load() < 2 && now_ns() - t0 < 5e6) {
      }
    });
    if (trial > 0) forks.push_back(now_ns() - t0);
  }
  std::sort(forks.begin(), forks.end());
  m.fork_awake_ns = std::min(m.fork_ns, forks[forks.size() / 2]);
  return m;
}

const CostModel& cost_model(const KernelVariant& v) {
  static std::mutex mutex;
  static std::map<const KernelVariant*, CostModel> models;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = models.find(&v);
  if (it == models.end()) it = models.emplace(&v, measure_cost(v)).first;
  return it->second;
}

// Threads worth using for `fma` multiply-adds: the most that still beat one thread by 10% once
// the fork and the extra packing (a second copy of the shared operand) are paid.
int useful_threads(const KernelVariant& v, double fma, double pack_floats, int threads) {
  if (threads <= 1 || !v.matmul_ukernel) return 1;
  const CostModel& m = cost_model(v);
  const double t1 = fma * m.ns_per_fma;
  const double fork = ThreadPool::instance().workers_awake() ? m.fork_awake_ns : m.fork_ns;
  int best = 1;
  for (int t = 2; t <= threads; t++) {
    const double tt = t1 / t + fork + pack_floats * 0.25;  // ~0.25 ns per packed float
    if (tt < 0.9 * t1) best = t;
  }
  return best;
}

// Spreads `count` independent M x N problems over the pool: each matrix is split into tm x tn
// blocks of whole register tiles only when the batch alone cannot feed every thread.
template <class Run>
void split_packed(const KernelVariant& v, const GemmArgs& g, size_t count, int threads, const Run& run,
                  bool m_only = false) {
  const size_t mr = size_t(v.mr), nr = size_t(v.nr);
  const size_t tiles_m = std::max<size_t>(1, (g.M + mr - 1) / mr);
  const size_t tiles_n = std::max<size_t>(1, (g.N + nr - 1) / nr);
  const double fma = double(g.M) * double(g.N) * double(g.K) * double(count);
  threads = useful_threads(v, fma, double(std::min(g.M, g.N)) * double(g.K), threads);

  // Pick the split that minimizes the largest block (in tiles); on ties split N (each thread
  // then packs its own B columns and re-packs only A, the smaller operand per tile).
  size_t tm = 1, tn = 1;
  if (threads > 1 && count < size_t(threads)) {
    // With A read in place a column block costs no extra packing, so the columns are cut into a
    // few blocks per thread: the pool hands them out as threads come free, and a worker that
    // starts late (woken, or its vCPU descheduled) takes the blocks that are left instead of
    // making the caller wait for a whole half.
    const size_t per_thread = a_in_place(v, g) && count == 1 && tiles_n >= 8 * size_t(threads) ? 4 : 1;
    const size_t want = (size_t(threads) * per_thread + count - 1) / count;
    size_t best = SIZE_MAX;
    for (size_t a = want; a >= 1; a--) {
      if (want % a) continue;
      const size_t b = want / a;
      if (a > tiles_m || b > tiles_n || (m_only && b > 1)) continue;
      const size_t cost = ((tiles_m + a - 1) / a) * mr * ((tiles_n + b - 1) / b) * nr;
      if (cost < best) {
        best = cost;
        tm = a;
        tn = b;
      }
    }
  }
  const size_t per_batch = tm * tn;
  ThreadPool::instance().parallel_for(count * per_batch, threads, [&](size_t task) {
    const size_t bi = task / per_batch;
    const size_t bm = (task % per_batch) / tn, bn = task % tn;
    const size_t t0m = tiles_m * bm / tm, t1m = tiles_m * (bm + 1) / tm;
    const size_t t0n = tiles_n * bn / tn, t1n = tiles_n * (bn + 1) / tn;
    const size_t i0 = std::min(g.M, t0m * mr), i1 = std::min(g.M, t1m * mr);
    const size_t j0 = std::min(g.N, t0n * nr), j1 = std::min(g.N, t1n * nr);
    if (i1 <= i0 || j1 <= j0) return;
    run(bi, i0, i1 - i0, j0, j1 - j0);
  });
}

// All of B packed: depth block p0 (of kc) starts at p0 * Npad, its panel for columns from j0 at
// + j0 * (that block's depth). PackedB owns one; multi-threaded gemm() builds one per call.
struct PanelView {
  const float* data;
  size_t K, Npad, kc;
  const float* panels(size_t p0, size_t j0) const { return data + p0 * Npad + j0 * std::min(kc, K - p0); }
};

// The shared B of multi-threaded gemm() calls, owned by the calling thread (the pool's workers
// only read it during the call). Above this many floats (64 MiB) the per-thread packing is used.
constexpr size_t kMaxSharedB = size_t(16) << 20;
thread_local AlignedBuffer t_shared_b;

// Packs all of op(B) into the PanelView layout, depth blocks x column chunks spread over threads.
void pack_b_all(const float* B, size_t ldb, bool transB, size_t K, size_t N, size_t nr, size_t kc, size_t Npad,
                float* out, int threads) {
  const size_t blocks = (K + kc - 1) / kc;
  const size_t panels = Npad / nr;
  const size_t chunks = threads > 1 ? std::min(panels, size_t(threads) * 2) : 1;
  ThreadPool::instance().parallel_for(blocks * chunks, threads, [&](size_t task) {
    const size_t blk = task / chunks, ch = task % chunks;
    const size_t p0 = blk * kc, depth = std::min(kc, K - p0);
    const size_t j0 = panels * ch / chunks * nr, j1 = std::min(N, panels * (ch + 1) / chunks * nr);
    if (j1 > j0) pack_b_panels(B, ldb, transB, p0, depth, j0, j1 - j0, nr, out + p0 * Npad + j0 * depth);
  });
}

// The blocked product with B already packed (rows of C split over the threads).
void run_prepacked(const KernelVariant& v, const GemmArgs& g, const PanelView& b, int threads) {
  GemmBlocking blk = gemm_blocking(v);
  blk.kc = b.kc;
  split_packed(
      v, g, 1, threads,
      [&](size_t, size_t i0, size_t m, size_t j0, size_t n) {
        const GemmArgs sub = sub_problem(g, i0, m, j0, n);
        gemm_blocked(v, sub, blk, [&](size_t pc, size_t, size_t jc, size_t, auto) -> const float* {
          return b.panels(pc, j0 + jc);
        });
      },
      true);
}

}  // namespace

// A few divisions on cache sizes detected once: cheaper than a lock and a lookup on every call.
GemmBlocking gemm_blocking(const KernelVariant& v) { return compute_blocking(size_t(v.mr), size_t(v.nr)); }

const KernelVariant& gemm(const KernelVariant& v, const GemmArgs& g, const GemmBatch& batch, int threads,
                          const KernelVariant* gemv_variant) {
  if (v.matmul_full) {
    for (size_t i = 0; i < batch.count; i++) v.matmul_full(batch_entry(g, batch, i));
    return v;
  }
  if (g.M > 0 && g.M < kSmallM) {
    const KernelVariant& gv = gemv_variant ? *gemv_variant : gemv_variant_for(v);
    gemv(gv, g, batch, threads);
    return gv;
  }
  const GemmBlocking blk = gemm_blocking(v);
  const size_t nr = size_t(v.nr), mr = size_t(v.mr);
  if (batch.count == 1 && threads > 1 && g.K > 0) {
    // One matrix on several threads: pack all of B once, together, then split the rows of C so
    // each thread packs only its own rows of A (splitting columns instead would make every
    // thread pack all of A, splitting rows without sharing B every thread all of B).
    const int t = useful_threads(v, double(g.M) * double(g.N) * double(g.K), 0.0, threads);
    const size_t tiles_m = (g.M + mr - 1) / mr;
    const size_t npad = (g.N + nr - 1) / nr * nr;
    if (t > 1 && tiles_m >= 4 * size_t(t) && g.K * npad <= kMaxSharedB) {
      const size_t kc = balanced(g.K, blk.kc, 8);
      float* shared = t_shared_b.get(g.K * npad);
      pack_b_all(g.B, g.ldb, g.transB, g.K, g.N, nr, kc, npad, shared, t);
      run_prepacked(v, g, PanelView{shared, g.K, npad, kc}, t);
      return v;
    }
  }
  split_packed(v, g, batch.count, threads, [&](size_t bi, size_t i0, size_t m, size_t j0, size_t n) {
    const GemmArgs sub = sub_problem(batch_entry(g, batch, bi), i0, m, j0, n);
    gemm_blocked(v, sub, blk, [&](size_t pc, size_t kc, size_t jc, size_t nc, auto buffer) -> const float* {
      float* out = buffer();
      pack_b_panels(sub.B, sub.ldb, sub.transB, pc, kc, jc, nc, nr, out);
      return out;
    });
  });
  return v;
}

void gemm_packed_b(const KernelVariant& v, const GemmArgs& g, const PackBFn& pack, int threads) {
  if (!v.matmul_ukernel) throw std::invalid_argument(std::string(v.name) + " has no packed micro-kernel");
  const GemmBlocking blk = gemm_blocking(v);
  const size_t nr = size_t(v.nr);
  split_packed(v, g, 1, threads, [&](size_t, size_t i0, size_t m, size_t j0, size_t n) {
    const GemmArgs sub = sub_problem(g, i0, m, j0, n);
    gemm_blocked(v, sub, blk, [&](size_t pc, size_t kc, size_t jc, size_t nc, auto buffer) -> const float* {
      float* out = buffer();
      pack(pc, kc, j0 + jc, nc, nr, out);
      return out;
    });
  });
}

PackedB::PackedB(const KernelVariant& v, const float* B, size_t K, size_t N, size_t ldb, bool transB)
    : variant_(&v), K_(K), N_(N), Npad_(0), kc_(0), size_(0), data_(nullptr, std::free) {
  if (!v.matmul_ukernel) throw std::invalid_argument(std::string(v.name) + " has no packed micro-kernel");
  const size_t nr = size_t(v.nr);
  kc_ = balanced(K, gemm_blocking(v).kc, 8);
  Npad_ = (N + nr - 1) / nr * nr;
  size_ = std::max<size_t>(1, K * Npad_);
  data_.reset(static_cast<float*>(std::aligned_alloc(64, (size_ * sizeof(float) + 63) / 64 * 64)));
  if (!data_) throw std::bad_alloc();
  pack_b_all(B, ldb, transB, K, N, nr, kc_, Npad_, data_.get(), 1);
}

const float* PackedB::panels(size_t p0, size_t j0) const { return PanelView{data_.get(), K_, Npad_, kc_}.panels(p0, j0); }

void gemm_prepacked(const GemmArgs& g, const PackedB& b, int threads) {
  if (g.K != b.K() || g.N != b.N()) throw std::invalid_argument("gemm_prepacked: A and C do not match the packed B");
  run_prepacked(b.variant(), g, PanelView{b.panels(0, 0), b.K(), (b.N() + size_t(b.variant().nr) - 1) / size_t(b.variant().nr) * size_t(b.variant().nr), b.kc()}, threads);
}

}  // namespace armml
