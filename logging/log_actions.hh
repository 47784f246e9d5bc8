// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The remote-logging actions (dnsdist's RemoteLogAction, RemoteLogResponseAction,
/// DnstapLogAction, DnstapLogResponseAction): each builds a message from the query or
/// response, lets `alter` (the Lua alterFunction, supplied by lua/) change it, encodes it and
/// queues it on its logger. They never stop the rules and never wait for the network.
#include <functional>
#include <memory>
#include <string>

#include "core/rules/actions.hh"
#include "logging/protobuf.hh"
#include "logging/remote_logger.hh"

namespace ballast::logging {

using PbAlter = std::function<void(core::rules::DQ&, PbMessage&)>;
using DnstapAlter = std::function<void(core::rules::DQ&, DnstapMessage&)>;

struct RemoteLogOptions {
  std::string serverID;  ///< serverIdentity of every message; none when empty
  /// ipEncryptKey: the requestor address as it is logged (ipcrypt); unset: as it is.
  std::function<core::Address(const core::Address&)> encryptRequestor;
  bool includeCNAME = false;  ///< responses: CNAME records logged beside A and AAAA
};

/// The PBDNSMessage for `dq` (a query, or a response with its rcode and A/AAAA records,
/// CNAMEs too with `includeCNAME`).
PbMessage makePbMessage(const core::rules::DQ& dq, bool includeCNAME);
/// The dnstap message for `dq`, of type CLIENT_QUERY or CLIENT_RESPONSE by its QR bit.
DnstapMessage makeDnstapMessage(const core::rules::DQ& dq, const std::string& identity);

core::rules::ActionPtr remoteLogAction(std::shared_ptr<Logger> logger, PbAlter alter,
                                       RemoteLogOptions options);
core::rules::ResponseActionPtr remoteLogResponseAction(std::shared_ptr<Logger> logger,
                                                       PbAlter alter, RemoteLogOptions options);
core::rules::ActionPtr dnstapLogAction(std::string identity, std::shared_ptr<Logger> logger,
                                       DnstapAlter alter);
core::rules::ResponseActionPtr dnstapLogResponseAction(std::string identity,
                                                       std::shared_ptr<Logger> logger,
                                                       DnstapAlter alter);

}  // namespace ballast::logging
