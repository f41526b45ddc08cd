#include "threadpool.h"

#include <chrono>

namespace armml {

ThreadPool& ThreadPool::instance() {
  // Leaked on purpose: joining threads from a static destructor at process exit can deadlock.
  static ThreadPool* pool = new ThreadPool();
  return *pool;
}

void ThreadPool::ensure_workers(size_t count) {
  while (workers_.size() < count) {
    const size_t index = workers_.size();
    workers_.emplace_back([this, index] { worker_loop(index); });
    workers_.back().detach();
  }
}

void ThreadPool::drain(std::exception_ptr& error) {
  for (;;) {
    size_t i;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (next_ >= n_) return;
      i = next_++;
    }
    try {
      (*task_)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error) error = std::current_exception();
      next_ = n_;  // stop handing out work after a failure
    }
  }
}

namespace {

// How long an idle worker polls for the next job before it sleeps.
constexpr auto kSpin = std::chrono::microseconds(100);
// The same while a run holds the pool: longer than any gap between two ops of a model (JS between
// kernels, a small op on one thread), short enough that a stalled caller does not burn a core.
constexpr auto kHeldSpin = std::chrono::milliseconds(20);

long long steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

void ThreadPool::worker_loop(size_t index) {
  unsigned long seen = 0;
  for (;;) {
    const auto idle_since = std::chrono::steady_clock::now();
    for (unsigned k = 0; generation_.load(std::memory_order_acquire) == seen; k++) {
      if ((k & 63) == 0) {
        const auto spun = std::chrono::steady_clock::now() - idle_since;
        if (spun >= kSpin && (holds_.load(std::memory_order_relaxed) == 0 || spun >= kHeldSpin)) break;
      }
      cpu_relax();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    if (generation_.load(std::memory_order_relaxed) == seen) {
      sleeping_++;
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_relaxed) != seen; });
      sleeping_--;
    }
    seen = generation_.load(std::memory_order_relaxed);
    // Not asked, or too late: the caller (and faster workers) took every task already.
    if (index >= participants_ || next_ >= n_) continue;
    running_++;
    lock.unlock();
    drain(error_);
    lock.lock();
    if (--running_ == 0) done_.notify_all();
  }
}

void ThreadPool::parallel_for(size_t n, int threads, const std::function<void(size_t)>& task) {
  if (n == 0) return;
  std::unique_lock<std::mutex> region(region_mutex_, std::defer_lock);
  const bool single = threads <= 1 || n == 1 || !region.try_lock();
  if (single) {
    for (size_t i = 0; i < n; i++) task(i);
    return;
  }
  const size_t helpers = std::min<size_t>(size_t(threads) - 1, n - 1);
  std::exception_ptr error;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ensure_workers(helpers);
    task_ = &task;
    n_ = n;
    next_ = 0;
    participants_ = helpers;
    error_ = nullptr;
    generation_.fetch_add(1, std::memory_order_release);
    wake = sleeping_ > 0;
  }
  if (wake) wake_.notify_all();
  drain(error);
  {
    // Every task is claimed now; wait only for workers still running one.
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return running_ == 0; });
    task_ = nullptr;
    if (!error) error = error_;
  }
  last_region_end_ns_.store(steady_ns(), std::memory_order_relaxed);
  if (error) std::rethrow_exception(error);
}

bool ThreadPool::workers_awake() const {
  const long long end = last_region_end_ns_.load(std::memory_order_relaxed);
  if (end < 0) return false;
  const auto spin = holds_.load(std::memory_order_relaxed) > 0 ? std::chrono::nanoseconds(kHeldSpin) : std::chrono::nanoseconds(kSpin);
  return steady_ns() - end < spin.count() / 2;
}

void ThreadPool::hold(size_t workers) {
  holds_.fetch_add(1, std::memory_order_relaxed);
  if (workers == 0) return;
  std::unique_lock<std::mutex> region(region_mutex_, std::try_to_lock);
  if (!region.owns_lock()) return;  // a region is running: the workers are awake anyway
  bool wake = false;
  {
    // An empty job: every worker sees a new generation, finds nothing to take and spins again.
    std::lock_guard<std::mutex> lock(mutex_);
    ensure_workers(workers);
    task_ = nullptr;
    n_ = next_ = participants_ = 0;
    generation_.fetch_add(1, std::memory_order_release);
    wake = sleeping_ > 0;
  }
  if (wake) wake_.notify_all();
  last_region_end_ns_.store(steady_ns(), std::memory_order_relaxed);
}

void ThreadPool::release() {
  // Never below zero, whatever the callers do: a negative count would pin the short spin.
  int h = holds_.load(std::memory_order_relaxed);
  while (h > 0 && !holds_.compare_exchange_weak(h, h - 1, std::memory_order_relaxed)) {
  }
}

}  // namespace armml
