// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// dnstap's transport (newFrameStreamUnixLogger, newFrameStreamTcpLogger): Frame Streams
/// with content type "protobuf:dnstap.Dnstap", written by libfstrm, the dnstap authors'
/// library. Its I/O thread does the bidirectional handshake (READY, ACCEPT, START; STOP
/// and FINISH at the end), reopens a lost connection every reopenInterval seconds, and
/// holds frames in a bounded queue meanwhile; submitting never blocks.
#include <cstdint>
#include <map>
#include <string>

#include "logging/remote_logger.hh"

struct fstrm_iothr;
struct fstrm_iothr_queue;

namespace ballast::logging {

/// The fstrm I/O thread options dnsdist passes through, by their Lua names: bufferHint,
/// flushTimeout, inputQueueSize, outputQueueSize, queueNotifyThreshold, reopenInterval.
using FrameStreamOptions = std::map<std::string, unsigned>;

/// The option names FrameStreamOptions accepts.
extern const char* const kFrameStreamOptionNames[6];

class FrameStreamLogger final : public Logger {
 public:
  /// `unixPath` true: `address` is a socket path; otherwise "ip:port". Throws
  /// std::invalid_argument naming a rejected option or address.
  FrameStreamLogger(bool unixPath, const std::string& address, const FrameStreamOptions& options);
  ~FrameStreamLogger() override;
  bool queue(std::string_view message) override;
  std::string toString() const override;
  bool dnstap() const override { return true; }

 private:
  std::string address_;
  fstrm_iothr* iothr_ = nullptr;
  fstrm_iothr_queue* queue_ = nullptr;
  metrics::Counter sent_, dropped_, failures_;
};

}  // namespace ballast::logging
