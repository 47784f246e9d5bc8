// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Carbon (Graphite plaintext) export: a thread that, every interval, connects to the
/// carbon server over TCP, writes one "path value timestamp" line per statistic and closes.
/// A fresh connection per round is how dnsdist does it, and makes reconnecting after a
/// failure the normal case. Only this thread waits on the network; the values come from
/// `collect`, which reads counters without locks on the query path.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sys/socket.h>

namespace ballast::metrics {

struct CarbonConfig {
  sockaddr_storage address{};
  socklen_t addressLength = 0;
  std::string server;   ///< as configured, for messages
  std::string ourname;  ///< hostname with dots replaced by '_'
  std::string namespace_ = "dnsdist";
  std::string instance = "main";
  unsigned intervalSec = 30;
};

/// Statistics as (path below <namespace>.<ourname>.<instance>., value).
using CarbonCollect = std::function<std::vector<std::pair<std::string, double>>()>;

/// Renders one round of carbon lines, "<ns>.<ourname>.<instance>.<stat> <value> <ts>\n".
std::string carbonLines(const CarbonConfig& c,
                        const std::vector<std::pair<std::string, double>>& stats, int64_t unixTime);

/// A name usable as one carbon path component: '.', ':' and spaces become '_'.
std::string carbonComponent(std::string s);

class CarbonSender {
 public:
  CarbonSender(CarbonConfig c, CarbonCollect collect)
      : cfg_(std::move(c)), collect_(std::move(collect)) {}
  ~CarbonSender() { stop(); }
  CarbonSender(const CarbonSender&) = delete;
  CarbonSender& operator=(const CarbonSender&) = delete;

  void start();
  void stop();
  const CarbonConfig& config() const { return cfg_; }

 private:
  void loop();
  /// One round: connect, send, close. Returns the error, empty on success.
  std::string sendRound();

  CarbonConfig cfg_;
  CarbonCollect collect_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace ballast::metrics
