#include "gemm.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "../kernels/activation_ref.h"
#include "threadpool.h"

namespace armml {

namespace {

// Largest register tile the driver pads edge tiles for: nr up to 2 vectors of 2048-bit SVE (the
// widest SVE allows), mr up to 16 rows (the tallest tile is 14).
constexpr size_t kMaxMr = 16, kMaxNr = 128;
// Fewer rows than this take the streaming (unpacked) path.
constexpr size_t kSmallM = 4;

size_t round_down(size_t x, size_t m) { return std::max(m, x / m * m); }

GemmBlocking compute_blocking(size_t mr, size_t nr) {
  const CpuInfo& cpu = cpu_info();
  GemmBlocking b;
  // The kc x nr B micro-panel is reused by every A micro-panel of the block: keep it in half of
  // L1 (the other half streams A and the C tile). Multiples of 8 keep panels cache-line aligned.
  b.kc = std::min<size_t>(1024, std::max<size_t>(64, round_down(cpu.l1d / 2 / (nr * sizeof(float)), 8)));
  // The mc x kc packed A block stays in half of L2 while every B micro-panel streams past it.
  b.mc = std::min<size_t>(round_down(960, mr), round_down(cpu.l2 / 2 / (b.kc * sizeof(float)), mr));
  // The kc x nc packed B block lives in the last-level cache, shared by the cores.
  const size_t l3_share = cpu.l3 / std::max(1u, cpu.cores) / 2;
  b.nc = std::min<size_t>(round_down(4096, nr), round_down(l3_share / (b.kc * sizeof(float)), nr));
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
void pack_a(const GemmArgs& g, size_t i0, size_t mc, size_t p0, size_t kc, size_t mr, float* out) {
  for (size_t ip = 0; ip < mc; ip += mr) {
    const size_t rows = std::min(mr, mc - ip);
    float* panel = out + ip * kc;
    if (!g.transA) {
      const float* src = g.A + (i0 + ip) * g.lda + p0;
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

// Packs depth [p0, p0+kc) x columns [j0, j0+nc) of op(B) into nr-column panels (zero past the edge).
void pack_b_panels(const float* B, size_t ldb, bool transB, size_t p0, size_t kc, size_t j0, size_t nc, size_t nr,
                   float* out) {
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

// One register tile: the full-tile case calls the micro-kernel on C directly; an edge tile runs
// into a padded scratch tile (with padded epilogue operands), then only the valid part is copied.
void run_tile(const KernelVariant& v, size_t kc, const float* ap, const float* bp, float* c, size_t ldc, size_t rows,
              size_t cols, bool accumulate, const Epilogue* ep) {
  const size_t mr = size_t(v.mr), nr = size_t(v.nr);
  if (rows == mr && cols == nr) return v.matmul_ukernel(kc, ap, bp, c, ldc, accumulate, ep);
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
  v.matmul_ukernel(kc, ap, bp, tmp, nr, accumulate, ep ? &padded : nullptr);
  for (size_t i = 0; i < rows; i++) std::memcpy(c + i * ldc, tmp + i * nr, cols * sizeof(float));
}

// The blocked product of one (sub-)problem on the calling thread. `get_b(pc, kc, jc, nc, buf)`
// returns the B panels for depth [pc, pc+kc) x columns [jc, jc+nc): packed into buf, or prepacked.
// Loop order (BLIS): jc (nc, L3) > pc (kc) > ic (mc, L2) > jr (nr, L1 micro-panel) > ir (mr).
template <class GetB>
void gemm_blocked(const KernelVariant& v, const GemmArgs& g, const GemmBlocking& blk, const GetB& get_b) {
  if (g.M == 0 || g.N == 0) return;
  if (g.K == 0) return gemm_empty_k(g);
  const size_t mr = size_t(v.mr), nr = size_t(v.nr);
  if (mr > kMaxMr || nr > kMaxNr) throw std::invalid_argument(std::string(v.name) + ": register tile too large");
  const size_t kc_max = blk.kc, mc_max = blk.mc, nc_max = blk.nc;
  float* pa = t_pack_a.get(std::min(mc_max, (g.M + mr - 1) / mr * mr) * kc_max);
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
        pack_a(g, ic, mc, pc, kc, mr, pa);
        for (size_t jr = 0; jr < nc; jr += nr) {
          const size_t cols = std::min(nr, nc - jr);
          const float* bp = pb + jr * kc;
          for (size_t ir = 0; ir < mc; ir += mr) {
            const size_t rows = std::min(mr, mc - ir);
            const size_t i0 = ic + ir, j0 = jc + jr;
            float* c = g.C + i0 * g.ldc + j0;
            bool accumulate = true;
            if (first) {
              accumulate = g.beta != 0.0f;
              if (accumulate && g.beta != 1.0f) scale_tile(g, i0, rows, j0, cols);
            }
            Epilogue ep;
            if (last && has_ep) ep = tile_epilogue(g.ep, i0, j0);
            run_tile(v, kc, pa + ir * kc, bp, c, g.ldc, rows, cols, accumulate, last && has_ep ? &ep : nullptr);
          }
        }
      }
    }
  }
}

// Few rows (matrix-vector products, e.g. LLM decoding): packing B would copy as many bytes as
// the whole product reads, so stream B directly. Non-transposed B: C row += a[k] * B row k, four
// rows of B per pass over C. Transposed B: dot products with 8 independent partial sums.
void gemm_small_m(const GemmArgs& g, size_t j0, size_t j1) {
  for (size_t i = 0; i < g.M; i++) {
    float* c = g.C + i * g.ldc;
    for (size_t j = j0; j < j1; j++) c[j] = g.beta != 0.0f ? g.beta * c[j] : 0.0f;
    auto a_at = [&](size_t k) { return g.alpha * (g.transA ? g.A[k * g.lda + i] : g.A[i * g.lda + k]); };
    if (!g.transB) {
      size_t k = 0;
      for (; k + 4 <= g.K; k += 4) {
        const float a0 = a_at(k), a1 = a_at(k + 1), a2 = a_at(k + 2), a3 = a_at(k + 3);
        const float *b0 = g.B + k * g.ldb, *b1 = b0 + g.ldb, *b2 = b1 + g.ldb, *b3 = b2 + g.ldb;
        for (size_t j = j0; j < j1; j++) c[j] += (a0 * b0[j] + a1 * b1[j]) + (a2 * b2[j] + a3 * b3[j]);
      }
      for (; k < g.K; k++) {
        const float a = a_at(k);
        const float* b = g.B + k * g.ldb;
        for (size_t j = j0; j < j1; j++) c[j] += a * b[j];
      }
    } else {
      for (size_t j = j0; j < j1; j++) {
        const float* b = g.B + j * g.ldb;
        float part[8] = {};
        size_t k = 0;
        if (!g.transA) {
          const float* a = g.A + i * g.lda;
          for (; k + 8 <= g.K; k += 8)
            for (size_t t = 0; t < 8; t++) part[t] += a[k + t] * b[k + t];
        }
        float sum = 0.0f;
        for (size_t t = 0; t < 8; t++) sum += part[t];
        for (; k < g.K; k++) sum += (g.transA ? g.A[k * g.lda + i] : g.A[i * g.lda + k]) * b[k];
        c[j] += g.alpha * sum;
      }
    }
  }
  if (!epilogue_empty(g.ep)) epilogue_ref(tile_epilogue(g.ep, 0, j0), g.C + j0, g.ldc, g.M, j1 - j0);
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
  double fork_ns = 0.0;     // a parallel region's round trip with trivial tasks
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
  std::vector<double> forks;
  ThreadPool& pool = ThreadPool::instance();
  for (int trial = 0; trial < 12; trial++) {
    const double t0 = now_ns();
    pool.parallel_for(2, 2, [](size_t) {});
    forks.push_back(now_ns() - t0);
  }
  std::sort(forks.begin(), forks.end());
  m.fork_ns = forks[forks.size() / 2];
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
  int best = 1;
  for (int t = 2; t <= threads; t++) {
    const double tt = t1 / t + m.fork_ns + pack_floats * 0.25;  // ~0.25 ns per packed float
    if (tt < 0.9 * t1) best = t;
  }
  return best;
}

// Spreads `count` independent M x N problems over the pool: each matrix is split into tm x tn
// blocks of whole register tiles only when the batch alone cannot feed every thread.
template <class Run>
void split_packed(const KernelVariant& v, const GemmArgs& g, size_t count, int threads, const Run& run) {
  const size_t mr = size_t(v.mr), nr = size_t(v.nr);
  const size_t tiles_m = std::max<size_t>(1, (g.M + mr - 1) / mr);
  const size_t tiles_n = std::max<size_t>(1, (g.N + nr - 1) / nr);
  const double fma = double(g.M) * double(g.N) * double(g.K) * double(count);
  threads = useful_threads(v, fma, double(std::min(g.M, g.N)) * double(g.K), threads);

  // Pick the split that minimizes the largest block (in tiles); on ties split N (each thread
  // then packs its own B columns and re-packs only A, the smaller operand per tile).
  size_t tm = 1, tn = 1;
  if (threads > 1 && count < size_t(threads)) {
    const size_t want = (size_t(threads) + count - 1) / count;
    size_t best = SIZE_MAX;
    for (size_t a = want; a >= 1; a--) {
      if (want % a) continue;
      const size_t b = want / a;
      if (a > tiles_m || b > tiles_n) continue;
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

std::mutex g_blocking_mutex;

}  // namespace

GemmBlocking gemm_blocking(const KernelVariant& v) {
  static std::map<const KernelVariant*, GemmBlocking> cache;
  std::lock_guard<std::mutex> lock(g_blocking_mutex);
  auto it = cache.find(&v);
  if (it == cache.end()) it = cache.emplace(&v, compute_blocking(size_t(v.mr), size_t(v.nr))).first;
  return it->second;
}

void gemm(const KernelVariant& v, const GemmArgs& g, const GemmBatch& batch, int threads) {
  if (v.matmul_full) {
    for (size_t i = 0; i < batch.count; i++) v.matmul_full(batch_entry(g, batch, i));
    return;
  }
  if (g.M < kSmallM && g.K > 0) {
    const double fma_small = double(g.M) * double(g.N) * double(g.K) * double(batch.count);
    // Streaming B is memory-bound: a second thread pays once the product reads ~1 MB.
    const int t = fma_small < 256.0 * 1024.0 ? 1 : threads;
    const size_t chunks = size_t(t) * 4 < g.N / 64 ? size_t(t) * 4 : std::max<size_t>(1, g.N / 64);
    ThreadPool::instance().parallel_for(batch.count * chunks, t, [&](size_t task) {
      const size_t bi = task / chunks, ch = task % chunks;
      gemm_small_m(batch_entry(g, batch, bi), g.N * ch / chunks, g.N * (ch + 1) / chunks);
    });
    return;
  }
  const GemmBlocking blk = gemm_blocking(v);
  const size_t nr = size_t(v.nr);
  split_packed(v, g, batch.count, threads, [&](size_t bi, size_t i0, size_t m, size_t j0, size_t n) {
    const GemmArgs sub = sub_problem(batch_entry(g, batch, bi), i0, m, j0, n);
    gemm_blocked(v, sub, blk, [&](size_t pc, size_t kc, size_t jc, size_t nc, auto buffer) -> const float* {
      float* out = buffer();
      pack_b_panels(sub.B, sub.ldb, sub.transB, pc, kc, jc, nc, nr, out);
      return out;
    });
  });
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
  kc_ = gemm_blocking(v).kc;
  Npad_ = (N + nr - 1) / nr * nr;
  size_ = std::max<size_t>(1, K * Npad_);
  data_.reset(static_cast<float*>(std::aligned_alloc(64, (size_ * sizeof(float) + 63) / 64 * 64)));
  if (!data_) throw std::bad_alloc();
  for (size_t pc = 0; pc < K; pc += kc_) {
    const size_t kc = std::min(kc_, K - pc);
    pack_b_panels(B, ldb, transB, pc, kc, 0, N, nr, data_.get() + pc * Npad_);
  }
}

const float* PackedB::panels(size_t p0, size_t j0) const {
  const size_t kc = std::min(kc_, K_ - p0);
  return data_.get() + p0 * Npad_ + j0 * kc;
}

void gemm_prepacked(const GemmArgs& g, const PackedB& b, int threads) {
  const KernelVariant& v = b.variant();
  if (g.K != b.K() || g.N != b.N()) throw std::invalid_argument("gemm_prepacked: A and C do not match the packed B");
  GemmBlocking blk = gemm_blocking(v);
  blk.kc = b.kc();
  split_packed(v, g, 1, threads, [&](size_t, size_t i0, size_t m, size_t j0, size_t n) {
    const GemmArgs sub = sub_problem(g, i0, m, j0, n);
    gemm_blocked(v, sub, blk, [&](size_t pc, size_t, size_t jc, size_t, auto) -> const float* {
      return b.panels(pc, j0 + jc);
    });
  });
}

}  // namespace armml
