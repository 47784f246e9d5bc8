// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Where remote-logging actions put their messages: newRemoteLogger's protobuf stream over
/// TCP (RemoteLogger), newFrameStream*Logger's dnstap over Frame Streams
/// (FrameStreamLogger, fstrm.hh). queue() never blocks on the network: it appends to a
/// bounded queue or counts a drop; a dedicated thread does the I/O.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/address.hh"
#include "metrics/counter.hh"

namespace ballast::logging {

class Logger {
 public:
  virtual ~Logger() = default;
  /// Queues one encoded message; false (counted as dropped) when the queue is full.
  virtual bool queue(std::string_view message) = 0;
  /// As dnsdist's logger:toString() shows it, counters included.
  virtual std::string toString() const = 0;
  /// True for Frame Streams (dnstap), false for the protobuf stream.
  virtual bool dnstap() const = 0;
};

/// PowerDNS protobuf messages to a TCP receiver, each after its 2-byte big-endian length.
/// Messages wait in a buffer of at most `maxQueuedBytes` (dnsdist: maxQueuedEntries * 100)
/// while the receiver is away; the thread reconnects every `reconnectWaitSec`.
class RemoteLogger final : public Logger {
 public:
  RemoteLogger(const core::Address& remote, uint32_t timeoutSec, size_t maxQueuedBytes,
               uint32_t reconnectWaitSec);
  ~RemoteLogger() override;
  bool queue(std::string_view message) override;
  std::string toString() const override;
  bool dnstap() const override { return false; }
  uint64_t processed() const { return processed_.value(); }
  uint64_t dropped() const { return dropped_.value(); }

 private:
  void run();
  bool connect();
  void disconnect();
  bool send(const std::string& data);

  core::Address remote_;
  uint32_t timeoutSec_;
  size_t maxQueuedBytes_;
  uint32_t reconnectWaitSec_;
  metrics::Counter processed_, dropped_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string pending_;  ///< framed messages waiting for the thread (under mutex_)
  bool stop_ = false;
  int fd_ = -1;  ///< the thread's own
  std::thread thread_;
};

}  // namespace ballast::logging
