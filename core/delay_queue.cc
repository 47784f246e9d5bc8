// SPDX-License-Identifier: GPL-2.0-only
#include "core/delay_queue.hh"

#include "core/backend.hh"
#include "core/clock.hh"
#include "core/udp_sender.hh"

namespace ballast::core {

DelayQueue::~DelayQueue() {
  stop();
}

bool DelayQueue::schedule(const Destination& d, const uint8_t* packet, size_t len,
                          int64_t nowUsec) {
  std::unique_lock lock(mutex_);
  if (stopped_ || items_.size() >= kMaxQueued) {
    dropped.inc();
    return false;
  }
  bool first = items_.empty() || nowUsec + int64_t(d.delayMsec) * 1000 < items_.top().dueUsec;
  items_.push(Item{nowUsec + int64_t(d.delayMsec) * 1000, seq_++, d.fd, d.needSourceAddress,
                   d.replyTo(), d.replyFrom(), std::vector<uint8_t>(packet, packet + len)});
  delayed.inc();
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  lock.unlock();
  if (first) wake_.notify_one();
  return true;
}

size_t DelayQueue::queued() const {
  std::lock_guard lock(mutex_);
  return items_.size();
}

void DelayQueue::stop() {
  std::unique_lock lock(mutex_);
  if (stopped_) return;
  stopped_ = true;
  sendDue(0, true, lock);
  lock.unlock();
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void DelayQueue::sendDue(int64_t nowUsec, bool all, std::unique_lock<std::mutex>& lock) {
  // Items are moved out under the lock and sent without it, one batch at a time.
  std::vector<Item> batch;
  auto isDue = [&] { return !items_.empty() && (all || items_.top().dueUsec <= nowUsec); };
  while (isDue()) {
    while (batch.size() < UdpSender::kBatch && isDue()) {
      batch.push_back(std::move(const_cast<Item&>(items_.top())));
      items_.pop();
    }
    lock.unlock();
    UdpSender sender;
    for (const Item& i : batch)
      sender.add(i.fd, &i.client, i.useLocal ? &i.local : nullptr, i.data.data(), i.data.size(),
                 nullptr);
    sender.flush();
    batch.clear();
    lock.lock();
  }
}

void DelayQueue::loop() {
  std::unique_lock lock(mutex_);
  while (!stopped_) {
    if (items_.empty()) {
      wake_.wait(lock);
      continue;
    }
    int64_t now = monotonicUsec();
    int64_t due = items_.top().dueUsec;
    if (due > now) {
      wake_.wait_for(lock, std::chrono::microseconds(due - now));
      continue;
    }
    sendDue(now, false, lock);
  }
}

DelayQueue& delayQueue() {
  static DelayQueue queue;
  return queue;
}

}  // namespace ballast::core
