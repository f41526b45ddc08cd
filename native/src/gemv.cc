#include "gemv.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "threadpool.h"

namespace armml {

namespace {

// A thread streaming less than this would spend a large part of its time being woken up (a pool
// round trip is a few microseconds when the workers spin, tens when they sleep; one core reads
// 512 KB in ~30 us).
constexpr double kBytesPerThread = 512.0 * 1024.0;
// Column chunks per thread: a few, so a thread slowed by a neighbour on a shared machine leaves
// its last chunks to the others, but each chunk still streams long contiguous row segments.
constexpr size_t kChunksPerThread = 2;

size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

}  // namespace

const KernelVariant& gemv_variant_for(const KernelVariant& mm) {
  static std::mutex mutex;
  static std::map<const KernelVariant*, const KernelVariant*> chosen;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = chosen.find(&mm);
  if (it != chosen.end()) return *it->second;
  const KernelVariant* v = env_variant("gemv_f32");
  if (!v) {
    for (const auto& c : all_variants()) {
      if (std::string(c.family) == "gemv_f32" && std::string(c.isa) == mm.isa && c.supported(cpu_info())) {
        v = &c;
        break;
      }
    }
  }
  if (!v) v = &selected_variant("gemv_f32");
  chosen[&mm] = v;
  return *v;
}

int gemv_threads(double bytes, int threads) {
  if (threads <= 1) return 1;
  return int(std::max(1.0, std::min(double(threads), std::floor(bytes / kBytesPerThread))));
}

void gemv(const KernelVariant& v, const GemmArgs& g, const GemmBatch& batch, int threads) {
  if (!v.gemv) throw std::invalid_argument(std::string(v.name) + " is not a gemv_f32 kernel");
  if (g.M == 0 || g.N == 0 || batch.count == 0) return;
  // The kernels read each row of op(A) as K contiguous values: gather a transposed A once.
  std::vector<float> rows;
  if (g.transA && g.K > 0) {
    rows.resize(batch.count * g.M * g.K);
    for (size_t b = 0; b < batch.count; b++) {
      const float* a = g.A + b * batch.strideA;
      float* out = rows.data() + b * g.M * g.K;
      for (size_t k = 0; k < g.K; k++)
        for (size_t i = 0; i < g.M; i++) out[i * g.K + k] = a[k * g.lda + i];
    }
  }
  const size_t groups = (g.M + kGemvMaxM - 1) / kGemvMaxM;
  const double bytes = double(batch.count) * double(groups) * double(g.K) * double(g.N) * sizeof(float);
  const int t = gemv_threads(bytes, threads);
  // Chunk edges on whole cache lines of a K x N row, or on the 8-row groups of an N x K B.
  const size_t align = g.transB ? 8 : 16;
  const size_t chunks = t > 1 ? std::max<size_t>(1, std::min(size_t(t) * kChunksPerThread, g.N / (4 * align))) : 1;
  const auto edge = [&](size_t c) { return c >= chunks ? g.N : std::min(g.N, round_up(g.N * c / chunks, align)); };
  ThreadPool::instance().parallel_for(batch.count * chunks, t, [&](size_t task) {
    const size_t b = task / chunks, ch = task % chunks;
    const size_t j0 = edge(ch), j1 = edge(ch + 1);
    if (j1 <= j0) return;
    for (size_t i0 = 0; i0 < g.M; i0 += kGemvMaxM) {
      GemvArgs a;
      a.M = std::min(kGemvMaxM, g.M - i0);
      a.N = g.N;
      a.K = g.K;
      if (g.transA) {
        a.A = rows.data() + (b * g.M + i0) * g.K;
        a.lda = g.K;
      } else {
        a.A = g.A + b * batch.strideA + i0 * g.lda;
        a.lda = g.lda;
      }
      a.B = g.B + b * batch.strideB;
      a.ldb = g.ldb;
      a.transB = g.transB;
      a.C = g.C + b * batch.strideC + i0 * g.ldc;
      a.ldc = g.ldc;
      a.alpha = g.alpha;
      a.beta = g.beta;
      a.ep = g.ep;
      if (g.ep.bias_m) a.ep.bias_m = g.ep.bias_m + i0;
      if (g.ep.residual) a.ep.residual = g.ep.residual + b * batch.strideC + i0 * g.ep.ldr;
      v.gemv(a, j0, j1);
    }
  });
}

}  // namespace armml
