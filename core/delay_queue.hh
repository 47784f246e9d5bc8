// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// UDP answers held back by DelayAction / DelayResponseAction: copied into a queue ordered
/// by the time they are due and sent by one thread of their own, so no query thread ever
/// waits for a delay. The thread starts with the first delayed answer; a process that
/// never delays pays nothing. Bounded: beyond `kMaxQueued` answers waiting, a delayed
/// answer is dropped and counted (the delay is meant for clients that ask too much).
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "core/address.hh"
#include "metrics/counter.hh"

namespace ballast::core {

struct Destination;

class DelayQueue {
 public:
  static constexpr size_t kMaxQueued = 65536;

  DelayQueue() = default;
  ~DelayQueue();
  DelayQueue(const DelayQueue&) = delete;
  DelayQueue& operator=(const DelayQueue&) = delete;

  /// Queues a copy of packet[0..len) for the UDP client of `d`, to be sent `d.delayMsec`
  /// after `nowUsec` (monotonic). False (counted in `dropped`) when the queue is full or
  /// stopped.
  bool schedule(const Destination& d, const uint8_t* packet, size_t len, int64_t nowUsec);
  /// Sends everything still waiting at once and stops the thread (shutdown: the answers
  /// are due to clients whose queries were taken). Later schedule() calls fail.
  void stop();
  size_t queued() const;

  metrics::Counter delayed;  ///< answers queued
  metrics::Counter dropped;  ///< answers refused because the queue was full or stopped

 private:
  struct Item {
    int64_t dueUsec;
    uint64_t seq;  ///< keeps answers due at the same time in the order they were queued
    int fd;
    bool useLocal;
    Address client;
    Address local;
    std::vector<uint8_t> data;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.dueUsec != b.dueUsec ? a.dueUsec > b.dueUsec : a.seq > b.seq;
    }
  };
  void loop();
  /// Sends (and removes) every item due at `nowUsec`, or all of them; under mutex_.
  void sendDue(int64_t nowUsec, bool all, std::unique_lock<std::mutex>& lock);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::priority_queue<Item, std::vector<Item>, Later> items_;
  uint64_t seq_ = 0;
  bool stopped_ = false;
  std::thread thread_;
};

/// The process's queue of delayed UDP answers (sendToClient uses it).
DelayQueue& delayQueue();

}  // namespace ballast::core
