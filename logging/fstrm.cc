// SPDX-License-Identifier: GPL-2.0-only
#include "logging/fstrm.hh"

#include <fmt/format.h>
#include <fstrm.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace ballast::logging {

const char* const kFrameStreamOptionNames[6] = {"bufferHint",           "flushTimeout",
                                                "inputQueueSize",       "outputQueueSize",
                                                "queueNotifyThreshold", "reopenInterval"};

namespace {

constexpr char kContentType[] = "protobuf:dnstap.Dnstap";

using Setter = fstrm_res (*)(fstrm_iothr_options*, unsigned);
constexpr Setter kSetters[6] = {fstrm_iothr_options_set_buffer_hint,
                                fstrm_iothr_options_set_flush_timeout,
                                fstrm_iothr_options_set_input_queue_size,
                                fstrm_iothr_options_set_output_queue_size,
                                fstrm_iothr_options_set_queue_notify_threshold,
                                fstrm_iothr_options_set_reopen_interval};

/// Owns the fstrm option objects until the I/O thread is made.
struct Opts {
  fstrm_writer_options* writer = fstrm_writer_options_init();
  fstrm_unix_writer_options* unix_ = nullptr;
  fstrm_tcp_writer_options* tcp = nullptr;
  fstrm_iothr_options* iothr = fstrm_iothr_options_init();
  ~Opts() {
    fstrm_writer_options_destroy(&writer);
    if (unix_) fstrm_unix_writer_options_destroy(&unix_);
    if (tcp) fstrm_tcp_writer_options_destroy(&tcp);
    fstrm_iothr_options_destroy(&iothr);
  }
};

}  // namespace

FrameStreamLogger::FrameStreamLogger(bool unixPath, const std::string& address,
                                     const FrameStreamOptions& options)
    : address_(address) {
  Opts o;
  fstrm_writer_options_add_content_type(o.writer, kContentType, sizeof(kContentType) - 1);
  // Every query thread submits to the one queue.
  fstrm_iothr_options_set_queue_model(o.iothr, FSTRM_IOTHR_QUEUE_MODEL_MPSC);
  for (const auto& [name, value] : options) {
    size_t i = 0;
    while (i < 6 && name != kFrameStreamOptionNames[i]) ++i;
    if (i == 6) throw std::invalid_argument("unknown option '" + name + "'");
    if (kSetters[i](o.iothr, value) != fstrm_res_success)
      throw std::invalid_argument(
          fmt::format("{}={} is out of the range fstrm accepts", name, value));
  }
  fstrm_writer* writer = nullptr;
  if (unixPath) {
    if (address.empty()) throw std::invalid_argument("the socket path is empty");
    o.unix_ = fstrm_unix_writer_options_init();
    fstrm_unix_writer_options_set_socket_path(o.unix_, address.c_str());
    writer = fstrm_unix_writer_init(o.unix_, o.writer);
  } else {
    core::Address a = core::Address::parse(address, 0);
    if (a.port() == 0) throw std::invalid_argument("'" + address + "' has no port");
    o.tcp = fstrm_tcp_writer_options_init();
    fstrm_tcp_writer_options_set_socket_address(o.tcp, a.toString().c_str());
    fstrm_tcp_writer_options_set_socket_port(o.tcp, std::to_string(a.port()).c_str());
    writer = fstrm_tcp_writer_init(o.tcp, o.writer);
  }
  if (!writer) throw std::invalid_argument("cannot make a Frame Streams writer for " + address);
  iothr_ = fstrm_iothr_init(o.iothr, &writer);  // takes the writer
  if (!iothr_) {
    fstrm_writer_destroy(&writer);
    throw std::invalid_argument("cannot start the Frame Streams I/O thread");
  }
  queue_ = fstrm_iothr_get_input_queue(iothr_);
}

FrameStreamLogger::~FrameStreamLogger() {
  fstrm_iothr_destroy(&iothr_);
}

bool FrameStreamLogger::queue(std::string_view message) {
  void* frame = malloc(message.size());
  if (!frame) {
    failures_.inc();
    return false;
  }
  memcpy(frame, message.data(), message.size());
  fstrm_res r =
      fstrm_iothr_submit(iothr_, queue_, frame, message.size(), fstrm_free_wrapper, nullptr);
  if (r == fstrm_res_success) {
    sent_.inc();
    return true;
  }
  free(frame);
  (r == fstrm_res_again ? dropped_ : failures_).inc();
  return false;
}

std::string FrameStreamLogger::toString() const {
  return fmt::format("FrameStreamLogger to {} ({} frames sent, {} dropped, {} permanent failures)",
                     address_, sent_.value(), dropped_.value(), failures_.value());
}

}  // namespace ballast::logging
