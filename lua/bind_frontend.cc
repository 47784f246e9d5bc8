// SPDX-License-Identifier: GPL-2.0-only
/// addLocal, setLocal and the start-up sizes of the UDP path.
#include <sched.h>

#include "lua/binding.hh"
#include "lua/bindings.hh"

namespace ballast::lua {

core::ListenOptions readListenOptions(Options& o) {
  core::ListenOptions l;
  l.interface = o.string("interface").value_or("");
  if (auto cpus = o.integers("cpus", 0, CPU_SETSIZE - 1)) l.cpus.assign(cpus->begin(), cpus->end());
  l.tcpListenQueueSize = int(o.integer("tcpListenQueueSize", 0, 65535).value_or(0));
  l.tcpFastOpenQueueSize = int(o.integer("tcpFastOpenQueueSize", 0, 65535).value_or(0));
  return l;
}

namespace {

core::LocalBind parseLocal(lua_State* L, const char* fn) {
  core::LocalBind bind;
  bind.address = core::Address::parse(checkString(L, 1, fn, "the address"));
  Options o(L, 2, fn);
  bind.reusePort = o.boolean("reusePort").value_or(false);
  bind.tcp = o.boolean("doTCP").value_or(true);
  bind.maxInFlight = uint32_t(o.integer("maxInFlight", 0, 65535).value_or(0));
  bind.maxConcurrentTCPConnections =
      uint64_t(o.integer("maxConcurrentTCPConnections", 0, int64_t(1) << 40).value_or(0));
  bind.listen = readListenOptions(o);
  o.done();
  return bind;
}

int addLocal(lua_State* L, Host& h) {
  requireConfiguring(h, "addLocal");
  h.process.stream.locals.push_back(parseLocal(L, "addLocal"));
  return 0;
}

int setLocal(lua_State* L, Host& h) {
  requireConfiguring(h, "setLocal");
  auto bind = parseLocal(L, "setLocal");
  h.process.stream.locals.assign(1, bind);
  return 0;
}

int setUDPSocketBufferSizes(lua_State* L, Host& h) {
  requireConfiguring(h, "setUDPSocketBufferSizes");
  double recv = checkNumber(L, 1, "setUDPSocketBufferSizes", "the receive size");
  double send = checkNumber(L, 2, "setUDPSocketBufferSizes", "the send size");
  if (recv < 0 || send < 0 || recv > 2147483647 || send > 2147483647)
    throw ConfigError("setUDPSocketBufferSizes: sizes must be from 0 to 2147483647");
  // 0 keeps the current size, as dnsdist.
  if (recv > 0) h.startup().udpRecvBufferSize = size_t(recv);
  if (send > 0) h.startup().udpSendBufferSize = size_t(send);
  return 0;
}

int setMaxUDPOutstanding(lua_State* L, Host& h) {
  requireConfiguring(h, "setMaxUDPOutstanding");
  double n = checkNumber(L, 1, "setMaxUDPOutstanding", "the number");
  if (n < 1 || n > 65535 || n != double(int64_t(n)))
    throw ConfigError("setMaxUDPOutstanding: must be a whole number from 1 to 65535");
  h.startup().maxUDPOutstanding = uint32_t(n);
  return 0;
}

}  // namespace

void registerFrontendBindings(lua_State* L) {
  static const Binding b[] = {
      {"addLocal", wrap<addLocal>},
      {"setLocal", wrap<setLocal>},
      {"setUDPSocketBufferSizes", wrap<setUDPSocketBufferSizes>},
      {"setUDPSocketBufferSize", wrap<setUDPSocketBufferSizes>},  // dnsdist 1.7 docs' name
      {"setMaxUDPOutstanding", wrap<setMaxUDPOutstanding>},
  };
  registerAll(L, std::begin(b), std::end(b));
}

}  // namespace ballast::lua
