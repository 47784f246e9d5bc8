// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The one response path. Every backend (remote UDP and TCP, embedded resolver instances,
/// the supervisor answering for a failed instance) finishes each query it took by giving
/// its Completion back here, with the answer (complete) or without one (fail). The core
/// then does, once for all of them: health-check answers to their checker, the answer
/// checked against the question, ID and letter case restored, TC truncation, stale answers
/// in place of SERVFAIL or silence (RFC 8767), the backend's and the global counters and
/// latency, the response rules, the response ring, the cache insert, and the send to the
/// client's frontend.
///
/// One Completer per backend thread: it holds that thread's view of the runtime snapshot
/// and its batch of UDP answers. UDP answers point into the caller's buffer until flush().
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/backend.hh"
#include "core/published.hh"
#include "core/runtime.hh"
#include "core/udp_sender.hh"

namespace ballast::core {

class Completer {
 public:
  explicit Completer(Runtime& rt) : stats_(rt.stats), reader_(rt.config) {}

  enum class Result : uint8_t {
    Done,      ///< the query is finished (answered, or the answer dropped by a rule)
    Mismatch,  ///< not an answer to this question (counted): the query is still pending
  };
  /// `answer` is `from`'s answer to `c`, edited in place (capacity bytes available). UDP
  /// answers are queued: `answer` must stay valid until flush().
  Result complete(Backend& from, const Completion& c, uint8_t* answer, size_t len, size_t capacity);

  enum class Failure : uint8_t {
    Timeout,    ///< no answer in time: a stale answer if there is one, else silence
    SendError,  ///< the query could not be sent: likewise
    ServFail,   ///< the backend failed for good (a resolver instance that hung or threw):
                ///< a stale answer if there is one, else SERVFAIL
  };
  /// `from` has no answer to `c`. Health checks are left to time out at their checker.
  void fail(Backend& from, const Completion& c, Failure why);

  /// One message of a zone transfer to a client that takes them all (c.relaysTransfer()),
  /// in the order received; `more`: others follow. As dnsdist, the messages skip the
  /// response rules and the cache; the first is checked against the question and counted
  /// (responses, latency, ring) as the query's answer; each gets the client's ID, RD, CD.
  /// Mismatch when the first is not an answer to the question (nothing sent).
  Result relay(Backend& from, const Completion& c, uint8_t* message, size_t len, bool first,
               bool more);
  /// A relayed transfer broke off (backend closed, timed out, or sent garbage) after
  /// messages were sent: its client connection is told to close.
  void abortTransfer(const Completion& c);

  /// Sends the queued UDP answers (once per batch of responses).
  void flush() { sender_.flush(); }
  size_t pending() const { return sender_.pending(); }
  /// This thread's snapshot of the runtime configuration (timeouts and the like).
  const RuntimeConfig& config() { return reader_.get(); }
  /// Lets go of the snapshot (and so of the pools and backends it holds) until next used.
  void release() { reader_.release(); }

 private:
  /// Response rules, ring, cache insert, rcode figures and the send. `own`: the answer is
  /// in scratch_, which the next answer reuses, so it is sent at once.
  void finish(const Completion& c, const RuntimeConfig& cfg, uint8_t* answer, size_t len,
              size_t capacity, bool insert, bool own, bool zeroScope = false);
  /// A stale (or fresh) answer to `c` from its pool's cache, in scratch_; its length or 0.
  void recordRing(const Completion& c, const Destination& d, const RuntimeConfig& cfg,
                  const uint8_t* answer, size_t len, int64_t now);
  size_t staleAnswer(const Completion& c, const Settings& settings);
  void countAnswer(Backend& from, const Completion& c, bool failed, bool servFail);

  GlobalStats& stats_;
  Published<RuntimeConfig>::Reader reader_;
  UdpSender sender_;
  std::vector<uint8_t> scratch_;
};

}  // namespace ballast::core
