#include "threadpool.h"

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

void ThreadPool::worker_loop(size_t index) {
  unsigned long seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (index >= participants_) continue;
    }
    drain(error_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--active_ == 0) done_.notify_all();
    }
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
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ensure_workers(helpers);
    task_ = &task;
    n_ = n;
    next_ = 0;
    participants_ = helpers;
    active_ = helpers;
    error_ = nullptr;
    generation_++;
  }
  wake_.notify_all();
  drain(error);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return active_ == 0; });
    task_ = nullptr;
    if (!error) error = error_;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace armml
