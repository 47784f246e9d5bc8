// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// An immutable value published by atomic swap (the runtime configuration snapshot).
/// Readers on the query path keep a per-thread Reader: one relaxed generation check per
/// query, and the shared_ptr is only copied (under the lock) when a new version appeared.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace ballast::core {

template <typename T>
class Published {
 public:
  explicit Published(std::shared_ptr<const T> initial) : current_(std::move(initial)) {}

  std::shared_ptr<const T> load() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void publish(std::shared_ptr<const T> next) {
    {
      std::lock_guard lock(mutex_);
      current_ = std::move(next);
    }
    generation_.fetch_add(1, std::memory_order_release);
  }
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  /// One per thread; get() returns a snapshot that stays valid until the next get().
  class Reader {
   public:
    explicit Reader(const Published& p) : pub_(&p) { refresh(); }
    const T& get() {
      if (pub_->generation() != generation_) refresh();
      return *snapshot_;
    }
    /// Drops the snapshot held; the next get() loads the current one.
    void release() {
      snapshot_.reset();
      generation_ = 0;
    }
    std::shared_ptr<const T> shared() {
      get();
      return snapshot_;
    }

   private:
    void refresh() {
      generation_ = pub_->generation();
      snapshot_ = pub_->load();
    }
    const Published* pub_;
    uint64_t generation_ = 0;
    std::shared_ptr<const T> snapshot_;
  };

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> current_;
  std::atomic<uint64_t> generation_{1};
};

}  // namespace ballast::core
