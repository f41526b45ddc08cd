#include "eltwise.h"

#include <algorithm>

#include "threadpool.h"

namespace armml {

namespace {

// Below this many elements a second thread's wake-up costs more than the memory-bound loop saves.
constexpr size_t kParallelMin = size_t(1) << 16;
// Chunks start on multiples of this so vector loops and cache lines stay whole.
constexpr size_t kChunkAlign = 64;

size_t task_count(size_t total, int threads) {
  if (threads <= 1 || total < kParallelMin) return 1;
  return std::min<size_t>(size_t(threads), total / (kParallelMin / 2));
}

}  // namespace

void binary_rows(const KernelVariant& v, BinaryOp op, const float* a, const int32_t* startsA, size_t stepA,
                 const float* b, const int32_t* startsB, size_t stepB, float* y, size_t n, size_t rows, int threads) {
  const size_t total = n * rows;
  if (total == 0) return;
  const size_t tasks = task_count(total, threads);
  ThreadPool::instance().parallel_for(tasks, int(tasks), [&](size_t t) {
    // Element range [e0, e1) of the flat output, split into the row pieces it covers.
    const size_t e0 = std::min(total, (total * t / tasks) / kChunkAlign * kChunkAlign);
    const size_t e1 = t + 1 == tasks ? total : std::min(total, (total * (t + 1) / tasks) / kChunkAlign * kChunkAlign);
    for (size_t e = e0; e < e1;) {
      const size_t r = e / n, k = e % n;
      const size_t len = std::min(n - k, e1 - e);
      v.binary(op, a + startsA[r] + k * stepA, stepA, b + startsB[r] + k * stepB, stepB, y + e, len);
      e += len;
    }
  });
}

void unary_all(const KernelVariant& v, UnaryOp op, const float* x, float* y, size_t n, float alpha, float beta,
               int threads) {
  if (n == 0) return;
  const size_t tasks = task_count(n, threads);
  ThreadPool::instance().parallel_for(tasks, int(tasks), [&](size_t t) {
    const size_t i0 = std::min(n, (n * t / tasks) / kChunkAlign * kChunkAlign);
    const size_t i1 = t + 1 == tasks ? n : std::min(n, (n * (t + 1) / tasks) / kChunkAlign * kChunkAlign);
    if (i1 > i0) v.unary(op, x + i0, y + i0, i1 - i0, alpha, beta);
  });
}

}  // namespace armml
