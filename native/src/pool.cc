#include "pool.h"

#include <algorithm>

#include "threadpool.h"

namespace armml {

namespace {

// Below this many input elements per task a second thread's hand-off costs more than it saves.
constexpr size_t kMinElementsPerTask = size_t(1) << 15;

}  // namespace

void pool2d_planes(const KernelVariant& v, const PoolPlane& shape, const float* x, float* y, size_t planes, size_t H,
                   int threads) {
  if (planes == 0) return;
  const size_t in_plane = H * shape.W, out_plane = shape.OH * shape.OW;
  const size_t by_work = std::max<size_t>(1, planes * std::max<size_t>(in_plane, out_plane) / kMinElementsPerTask);
  const size_t tasks = std::min({planes, by_work, size_t(std::max(1, threads))});
  ThreadPool::instance().parallel_for(tasks, int(tasks), [&](size_t t) {
    const size_t p0 = planes * t / tasks, p1 = planes * (t + 1) / tasks;
    PoolPlane p = shape;
    for (size_t c = p0; c < p1; c++) {
      p.x = x + c * in_plane;
      p.y = y + c * out_plane;
      v.pool(p);
    }
  });
}

}  // namespace armml
