// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The response to a client question from a finished resolution: the client's question
/// (its letter case), RA set, RD copied, the answer chain, the SOA of a negative answer, an
/// OPT record if the client sent one (with NSID when asked and configured), TC and only
/// the question when it does not fit the client's UDP size.
#include <cstdint>
#include <string>
#include <vector>

#include "backends/resolver/iterator.hh"

namespace ballast::backends::resolver {

struct Job;

/// Writes the response into `out`; `overUdp` applies the client's size limit.
void writeAnswer(const Job& job, const Answer& a, uint16_t ednsBufferSize, const std::string& nsid,
                 bool overUdp, std::vector<uint8_t>& out);

}  // namespace ballast::backends::resolver
