#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include "threadpool.h"

namespace armml {

namespace {

// Cache blocking: a kc x nr B micro-panel (16 KB at kc=256, nr=16) stays in L1, the mc x kc A block
// in L2, the kc x nc B block in the shared L3.
constexpr size_t kKc = 256;
constexpr size_t kMcTarget = 120;
constexpr size_t kNcTarget = 2048;
// Below this many multiply-adds a second thread costs more (wake-up, duplicate packing) than it saves.
constexpr size_t kMaxTile = 16 * 16;
constexpr double kParallelMinFma = 160.0 * 160.0 * 160.0;
// Fewer rows than this take the streaming (unpacked) path.
constexpr size_t kSmallM = 4;

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

thread_local AlignedBuffer t_pack_a;
thread_local AlignedBuffer t_pack_b;

// Packs rows [0, mc) x depth [0, kc) of op(A), scaled by alpha, into mr-row panels: panel p holds
// for each k the mr values of rows p*mr..p*mr+mr-1 (zero past the edge).
void pack_a(const GemmArgs& g, size_t i0, size_t mc, size_t p0, size_t kc, size_t mr, float* out) {
  for (size_t ip = 0; ip < mc; ip += mr) {
    const size_t rows = std::min(mr, mc - ip);
    for (size_t k = 0; k < kc; k++) {
      float* dst = out + ip * kc + k * mr;
      for (size_t r = 0; r < rows; r++) {
        const size_t i = i0 + ip + r, kk = p0 + k;
        const float a = g.transA ? g.A[kk * g.lda + i] : g.A[i * g.lda + kk];
        dst[r] = g.alpha * a;
      }
      for (size_t r = rows; r < mr; r++) dst[r] = 0.0f;
    }
  }
}

// Packs depth [p0, p0+kc) x columns [j0, j0+nc) of op(B) into nr-column panels (zero past the edge).
void pack_b(const GemmArgs& g, size_t p0, size_t kc, size_t j0, size_t nc, size_t nr, float* out) {
  for (size_t jp = 0; jp < nc; jp += nr) {
    const size_t cols = std::min(nr, nc - jp);
    float* panel = out + jp * kc;
    if (!g.transB) {
      for (size_t k = 0; k < kc; k++) {
        const float* src = g.B + (p0 + k) * g.ldb + j0 + jp;
        float* dst = panel + k * nr;
        std::memcpy(dst, src, cols * sizeof(float));
        for (size_t c = cols; c < nr; c++) dst[c] = 0.0f;
      }
    } else {
      for (size_t c = 0; c < cols; c++) {
        const float* src = g.B + (j0 + jp + c) * g.ldb + p0;
        for (size_t k = 0; k < kc; k++) panel[k * nr + c] = src[k];
      }
      for (size_t c = cols; c < nr; c++)
        for (size_t k = 0; k < kc; k++) panel[k * nr + c] = 0.0f;
    }
  }
}

void epilogue(const GemmArgs& g, size_t i0, size_t rows, size_t j0, size_t cols) {
  if (!g.bias_n && !g.bias_m && !g.relu) return;
  for (size_t i = 0; i < rows; i++) {
    float* c = g.C + (i0 + i) * g.ldc + j0;
    const float bm = g.bias_m ? g.bias_m[i0 + i] : 0.0f;
    for (size_t j = 0; j < cols; j++) {
      float v = c[j] + bm;
      if (g.bias_n) v += g.bias_n[j0 + j];
      if (g.relu && v < 0.0f) v = 0.0f;
      c[j] = v;
    }
  }
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
  epilogue(g, 0, g.M, 0, g.N);
}

// `pack(pc, kc, jc, nc, nr, out)` fills the B panels for depth [pc, pc+kc) x columns [jc, jc+nc)
// of this (sub-)problem; the plain GEMM reads them from g.B, conv builds them from the image.
template <class PackB>
void gemm_packed_serial(const KernelVariant& v, const GemmArgs& g, const PackB& pack) {
  if (g.M == 0 || g.N == 0) return;
  if (g.K == 0) return gemm_empty_k(g);
  const size_t mr = size_t(v.mr), nr = size_t(v.nr);
  const size_t mc_max = std::max(mr, kMcTarget / mr * mr);
  const size_t nc_max = std::max(nr, kNcTarget / nr * nr);
  float* pa = t_pack_a.get(mc_max * kKc);
  float* pb = t_pack_b.get(std::min(nc_max, (g.N + nr - 1) / nr * nr) * kKc);
  // Edge tiles run into this scratch tile, then only the valid part is copied out.
  alignas(64) float tmp[kMaxTile];
  if (mr * nr > kMaxTile) throw std::invalid_argument(std::string(v.name) + ": register tile too large");

  for (size_t jc = 0; jc < g.N; jc += nc_max) {
    const size_t nc = std::min(nc_max, g.N - jc);
    for (size_t pc = 0; pc < g.K; pc += kKc) {
      const size_t kc = std::min(kKc, g.K - pc);
      const bool first = pc == 0;
      const bool last = pc + kc == g.K;
      pack(pc, kc, jc, nc, nr, pb);
      for (size_t ic = 0; ic < g.M; ic += mc_max) {
        const size_t mc = std::min(mc_max, g.M - ic);
        pack_a(g, ic, mc, pc, kc, mr, pa);
        for (size_t jr = 0; jr < nc; jr += nr) {
          const size_t cols = std::min(nr, nc - jr);
          const float* bp = pb + jr * kc;
          for (size_t ir = 0; ir < mc; ir += mr) {
            const size_t rows = std::min(mr, mc - ir);
            const float* ap = pa + ir * kc;
            const size_t i0 = ic + ir, j0 = jc + jr;
            float* c = g.C + i0 * g.ldc + j0;
            bool accumulate = true;
            if (first) {
              accumulate = g.beta != 0.0f;
              if (accumulate && g.beta != 1.0f) scale_tile(g, i0, rows, j0, cols);
            }
            if (rows == mr && cols == nr) {
              v.matmul_ukernel(kc, ap, bp, c, g.ldc, accumulate);
            } else {
              if (accumulate)
                for (size_t i = 0; i < rows; i++) std::memcpy(tmp + i * nr, c + i * g.ldc, cols * sizeof(float));
              v.matmul_ukernel(kc, ap, bp, tmp, nr, accumulate);
              for (size_t i = 0; i < rows; i++) std::memcpy(c + i * g.ldc, tmp + i * nr, cols * sizeof(float));
            }
            if (last) epilogue(g, i0, rows, j0, cols);
          }
        }
      }
    }
  }
}

// Few rows (matrix-vector products, e.g. LLM decoding): packing B would copy as many bytes as
// the whole product reads, so stream B directly. Non-transposed B: C row += a[k] * B row k.
// Transposed B: dot products with 8 independent partial sums (vectorizable without fast-math).
void gemm_small_m(const GemmArgs& g, size_t j0, size_t j1) {
  for (size_t i = 0; i < g.M; i++) {
    float* c = g.C + i * g.ldc;
    for (size_t j = j0; j < j1; j++) c[j] = g.beta != 0.0f ? g.beta * c[j] : 0.0f;
    if (!g.transB) {
      for (size_t k = 0; k < g.K; k++) {
        const float a = g.alpha * (g.transA ? g.A[k * g.lda + i] : g.A[i * g.lda + k]);
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
  epilogue(g, 0, g.M, j0, j1 - j0);
}

// The sub-problem covering rows [i0, i0+m) and columns [j0, j0+n) of C.
GemmArgs sub_problem(const GemmArgs& g, size_t i0, size_t m, size_t j0, size_t n) {
  GemmArgs s = g;
  s.M = m;
  s.N = n;
  s.A = g.transA ? g.A + i0 : g.A + i0 * g.lda;
  if (g.B) s.B = g.transB ? g.B + j0 * g.ldb : g.B + j0;
  s.C = g.C + i0 * g.ldc + j0;
  if (g.bias_n) s.bias_n = g.bias_n + j0;
  if (g.bias_m) s.bias_m = g.bias_m + i0;
  return s;
}

GemmArgs batch_entry(const GemmArgs& g, const GemmBatch& b, size_t i) {
  GemmArgs s = g;
  s.A = g.A + i * b.strideA;
  s.B = g.B + i * b.strideB;
  s.C = g.C + i * b.strideC;
  return s;
}

// Spreads `count` independent M x N problems over the pool: each matrix is split into tm x tn
// blocks of whole register tiles only when the batch alone cannot feed every thread.
template <class Run>
void split_packed(const KernelVariant& v, const GemmArgs& g, size_t count, int threads, const Run& run) {
  const size_t mr = size_t(v.mr), nr = size_t(v.nr);
  const size_t tiles_m = std::max<size_t>(1, (g.M + mr - 1) / mr);
  const size_t tiles_n = std::max<size_t>(1, (g.N + nr - 1) / nr);
  const double fma = double(g.M) * double(g.N) * double(g.K) * double(count);
  if (fma < kParallelMinFma) threads = 1;

  // Pick the split that minimizes the largest block (in tiles).
  size_t tm = 1, tn = 1;
  if (threads > 1 && count < size_t(threads)) {
    const size_t want = (size_t(threads) + count - 1) / count;
    size_t best = SIZE_MAX;
    for (size_t a = 1; a <= want; a++) {
      if (want % a) continue;
      const size_t b = want / a;
      if (a > tiles_m || b > tiles_n) continue;
      const size_t cost = ((tiles_m + a - 1) / a) * ((tiles_n + b - 1) / b);
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

}  // namespace

void gemm(const KernelVariant& v, const GemmArgs& g, const GemmBatch& batch, int threads) {
  if (v.matmul_full) {
    for (size_t i = 0; i < batch.count; i++) v.matmul_full(batch_entry(g, batch, i));
    return;
  }
  if (g.M < kSmallM && g.K > 0) {
    const double fma_small = double(g.M) * double(g.N) * double(g.K) * double(batch.count);
    const int t = fma_small < kParallelMinFma ? 1 : threads;
    const size_t chunks = size_t(t) * 4 < g.N / 64 ? size_t(t) * 4 : std::max<size_t>(1, g.N / 64);
    ThreadPool::instance().parallel_for(batch.count * chunks, t, [&](size_t task) {
      const size_t bi = task / chunks, ch = task % chunks;
      gemm_small_m(batch_entry(g, batch, bi), g.N * ch / chunks, g.N * (ch + 1) / chunks);
    });
    return;
  }
  split_packed(v, g, batch.count, threads, [&](size_t bi, size_t i0, size_t m, size_t j0, size_t n) {
    const GemmArgs sub = sub_problem(batch_entry(g, batch, bi), i0, m, j0, n);
    gemm_packed_serial(v, sub, [&](size_t pc, size_t kc, size_t jc, size_t nc, size_t nr, float* out) {
      pack_b(sub, pc, kc, jc, nc, nr, out);
    });
  });
}

void gemm_packed_b(const KernelVariant& v, const GemmArgs& g, const PackBFn& pack, int threads) {
  if (!v.matmul_ukernel) throw std::invalid_argument(std::string(v.name) + " has no packed micro-kernel");
  split_packed(v, g, 1, threads, [&](size_t, size_t i0, size_t m, size_t j0, size_t n) {
    const GemmArgs sub = sub_problem(g, i0, m, j0, n);
    gemm_packed_serial(v, sub, [&](size_t pc, size_t kc, size_t jc, size_t nc, size_t nr, float* out) {
      pack(pc, kc, j0 + jc, nc, nr, out);
    });
  });
}

}  // namespace armml
