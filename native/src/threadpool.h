// A small persistent pool: workers are started on first need and kept, so a kernel call pays
// a wake-up, not a thread creation. One parallel region runs at a time; a caller that finds the
// pool busy (e.g. an async GEMM on a libuv thread) runs its tasks itself instead of waiting.
// Workers spin briefly before they sleep, because an op's kernels and the next op's come back to
// back and a futex wake-up on a loaded VM (~50 µs measured) costs more than a small kernel; the
// caller never waits for a worker that woke too late to take any of the work.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace armml {

class ThreadPool {
 public:
  static ThreadPool& instance();

  /** Runs task(i) for i in [0, n) on up to `threads` threads (the caller is one of them). */
  void parallel_for(size_t n, int threads, const std::function<void(size_t)>& task);

  /**
   * True when the workers are surely still spinning (a parallel region ended less than half
   * their spin time ago), so the next region costs a handoff, not a futex wake-up: a model's ops
   * run back to back, and the threading decision of each should know which of the two it pays.
   */
  bool workers_awake() const;

  /**
   * While held (counted: holds nest), idle workers keep spinning up to kHeldSpin after their
   * last job instead of kSpin: a model run holds the pool from its first op to its last, so the
   * futex wake-up (tens of microseconds on a VM) is not paid again after every small op that ran
   * on one thread. Released, the workers fall back to the short spin and then sleep. Holding
   * also wakes `workers` workers (started if need be) so the run's first op finds them spinning.
   */
  void hold(size_t workers);
  void release();

 private:
  ThreadPool() = default;
  void ensure_workers(size_t count);
  void worker_loop(size_t index);
  void drain(std::exception_ptr& error);

  std::mutex region_mutex_;  // one parallel region at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::vector<std::thread> workers_;
  // The current job (guarded by mutex_ except `next_`, claimed with a lock too: tasks are coarse).
  const std::function<void(size_t)>* task_ = nullptr;
  size_t n_ = 0;
  size_t next_ = 0;
  size_t participants_ = 0;  // workers allowed to join this job
  size_t running_ = 0;       // workers that joined this job and are still inside it
  size_t sleeping_ = 0;      // workers waiting on wake_
  std::atomic<unsigned long> generation_{0};  // bumped under mutex_ for each job; read while spinning
  std::exception_ptr error_;
  std::atomic<long long> last_region_end_ns_{-1};  // steady clock, when the last region returned
  std::atomic<int> holds_{0};                       // hold() minus release()
};

}  // namespace armml
