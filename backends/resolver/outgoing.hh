// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// One outgoing query to an authoritative server (or a forwarder): UDP from a fresh socket
/// (a kernel-chosen random source port) connected to the server, so only its datagrams
/// arrive; a random ID; the answer must carry that ID and our question, else it is ignored
/// and the wait goes on. A truncated answer is asked again over TCP.
#include <cstdint>
#include <vector>

#include "backends/resolver/event_loop.hh"
#include "backends/resolver/task.hh"
#include "core/address.hh"
#include "dns/name.hh"

namespace ballast::backends::resolver {

struct OutgoingQuery {
  core::Address server;
  dns::Name qname;
  uint16_t qtype = 0;
  bool rd = false;  ///< forwarding: ask the forwarder to recurse
  bool edns = true;
  uint16_t ednsBufferSize = 1232;
  int64_t timeoutUsec = 1500000;
  uint16_t id = 0;        ///< random, chosen by the caller
  bool dnssecOk = false;  ///< the DO bit: RRSIGs, NSEC and NSEC3 wanted (RFC 3225)
};

struct Reply {
  enum class Status : uint8_t { Answer, Timeout, Error };
  Status status = Status::Error;
  bool overTcp = false;
  int64_t rttUsec = 0;
  std::vector<uint8_t> packet;  ///< Answer: the validated response
  int mismatched = 0;           ///< datagrams ignored: wrong ID or question
  bool noEdns = false;          ///< asked without EDNS (the server does not know it)
};

/// Sends the query and waits for its answer on `loop`; never throws.
Task<Reply> exchange(EventLoop& loop, OutgoingQuery q);

/// Builds the query message (exposed for tests).
std::vector<uint8_t> buildQuery(const OutgoingQuery& q);
/// True if `packet` is a response to `q`: QR set, same ID, opcode QUERY, same question.
bool answersQuery(const std::vector<uint8_t>& packet, size_t len, const OutgoingQuery& q);

}  // namespace ballast::backends::resolver
