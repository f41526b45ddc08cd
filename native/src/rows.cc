#include "rows.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "threadpool.h"

namespace armml {

namespace {

// As in eltwise.cc: below this many elements a second thread's wake-up costs more than it saves.
constexpr size_t kParallelMin = size_t(1) << 16;

template <class F>
void over_rows(size_t n, size_t rows, int threads, F&& f) {
  if (rows == 0) return;
  const size_t total = n * rows;
  size_t tasks = 1;
  if (threads > 1 && total >= kParallelMin) tasks = std::min({size_t(threads), rows, total / (kParallelMin / 2)});
  ThreadPool::instance().parallel_for(tasks, int(tasks), [&](size_t t) {
    const size_t r0 = rows * t / tasks, r1 = rows * (t + 1) / tasks;
    if (r1 > r0) f(r0, r1);
  });
}

}  // namespace

void softmax_rows(const KernelVariant& v, const SoftmaxArgs& a, int threads) {
  if (!v.softmax) throw std::invalid_argument(std::string(v.name) + " is not a softmax_f32 kernel");
  if (a.n == 0) return;
  over_rows(a.n, a.rows, threads, [&](size_t r0, size_t r1) { v.softmax(a, r0, r1); });
}

void layernorm_rows(const KernelVariant& v, const LayerNormArgs& a, int threads) {
  if (!v.layernorm) throw std::invalid_argument(std::string(v.name) + " is not a layernorm_f32 kernel");
  if (a.n == 0) return;
  over_rows(a.n, a.rows, threads, [&](size_t r0, size_t r1) { v.layernorm(a, r0, r1); });
}

}  // namespace armml
