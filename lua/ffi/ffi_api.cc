// SPDX-License-Identifier: GPL-2.0-only
/// The FFI functions declared in kFfiCdef. Exported from the binary (export_dynamic) so
/// that ffi.C finds them; they read and write the DQ of the query being processed.
#include "lua/ffi/ffi_api.hh"

#include <cstring>

#include "core/backend.hh"
#include "dns/header.hh"
#include "lua/dnsquestion.hh"

using ballast::core::rules::DQ;

#define BALLAST_FFI extern "C" __attribute__((visibility("default")))

void ballast::lua::ffi::linkApi() {}

namespace {

void rawAddress(const ballast::core::Address& a, const void** addr, size_t* size) {
  *addr = a.bytes();
  *size = a.byteLength();
}

}  // namespace

BALLAST_FFI uint16_t dnsdist_ffi_dnsquestion_get_qtype(const dnsdist_ffi_dnsquestion_t* dq) {
  return dq->dq->message.question().qtype;
}
BALLAST_FFI uint16_t dnsdist_ffi_dnsquestion_get_qclass(const dnsdist_ffi_dnsquestion_t* dq) {
  return dq->dq->message.question().qclass;
}
BALLAST_FFI uint16_t dnsdist_ffi_dnsquestion_get_id(const dnsdist_ffi_dnsquestion_t* dq) {
  return ballast::dns::HeaderView(dq->dq->packet).id();
}
BALLAST_FFI void dnsdist_ffi_dnsquestion_get_qname_raw(const dnsdist_ffi_dnsquestion_t* dq,
                                                       const char** qname, size_t* qnameSize) {
  auto w = dq->dq->qname.wire();
  *qname = reinterpret_cast<const char*>(w.data());
  *qnameSize = w.size();
}
/// The qname in text ("www.example.com."), truncated to outSize - 1 bytes and
/// NUL-terminated; returns its full length.
BALLAST_FFI size_t dnsdist_ffi_dnsquestion_get_qname_text(const dnsdist_ffi_dnsquestion_t* dq,
                                                          char* out, size_t outSize) {
  std::string s = dq->dq->qname.toString();
  if (outSize > 0) {
    size_t n = std::min(s.size(), outSize - 1);
    std::memcpy(out, s.data(), n);
    out[n] = 0;
  }
  return s.size();
}
BALLAST_FFI void dnsdist_ffi_dnsquestion_get_remoteaddr(const dnsdist_ffi_dnsquestion_t* dq,
                                                        const void** addr, size_t* addrSize) {
  rawAddress(*dq->dq->remote, addr, addrSize);
}
BALLAST_FFI uint16_t dnsdist_ffi_dnsquestion_get_remote_port(const dnsdist_ffi_dnsquestion_t* dq) {
  return dq->dq->remote->port();
}
BALLAST_FFI void dnsdist_ffi_dnsquestion_get_localaddr(const dnsdist_ffi_dnsquestion_t* dq,
                                                       const void** addr, size_t* addrSize) {
  rawAddress(*dq->dq->local, addr, addrSize);
}
BALLAST_FFI uint16_t dnsdist_ffi_dnsquestion_get_local_port(const dnsdist_ffi_dnsquestion_t* dq) {
  return dq->dq->local->port();
}
BALLAST_FFI uint16_t dnsdist_ffi_dnsquestion_get_len(const dnsdist_ffi_dnsquestion_t* dq) {
  return uint16_t(dq->dq->length);
}
BALLAST_FFI uint8_t dnsdist_ffi_dnsquestion_get_opcode(const dnsdist_ffi_dnsquestion_t* dq) {
  return ballast::dns::HeaderView(dq->dq->packet).opcode();
}
BALLAST_FFI uint8_t dnsdist_ffi_dnsquestion_get_rcode(const dnsdist_ffi_dnsquestion_t* dq) {
  return ballast::dns::HeaderView(dq->dq->packet).rcode();
}
BALLAST_FFI bool dnsdist_ffi_dnsquestion_get_rd(const dnsdist_ffi_dnsquestion_t* dq) {
  return ballast::dns::HeaderView(dq->dq->packet).rd();
}
BALLAST_FFI bool dnsdist_ffi_dnsquestion_get_tcp(const dnsdist_ffi_dnsquestion_t* dq) {
  return dq->dq->tcp;
}
BALLAST_FFI bool dnsdist_ffi_dnsquestion_get_skip_cache(const dnsdist_ffi_dnsquestion_t* dq) {
  return dq->dq->query && dq->dq->query->skipCache;
}
BALLAST_FFI void dnsdist_ffi_dnsquestion_set_skip_cache(dnsdist_ffi_dnsquestion_t* dq, bool skip) {
  if (dq->dq->query) dq->dq->query->skipCache = skip;
}
/// Sets the rcode in the header; with DNSAction.HeaderModify the query goes back as the
/// answer.
BALLAST_FFI void dnsdist_ffi_dnsquestion_set_rcode(dnsdist_ffi_dnsquestion_t* dq, uint8_t rcode) {
  ballast::dns::HeaderRef(dq->dq->packet).setRcode(rcode);
}
BALLAST_FFI const char* dnsdist_ffi_dnsquestion_get_tag(const dnsdist_ffi_dnsquestion_t* dq,
                                                        const char* label) {
  if (!dq->dq->query || !label) return nullptr;
  for (const auto& [k, v] : dq->dq->query->tags)
    if (k == label) return v.c_str();
  return nullptr;
}
BALLAST_FFI void dnsdist_ffi_dnsquestion_set_tag(dnsdist_ffi_dnsquestion_t* dq, const char* label,
                                                 const char* value) {
  if (!dq->dq->query || !label) return;
  auto& tags = dq->dq->query->tags;
  for (auto& [k, v] : tags)
    if (k == label) {
      v = value ? value : "";
      return;
    }
  tags.emplace_back(label, value ? value : "");
}
/// The argument of the action returned: the pool for DNSAction.Pool, the address(es) or
/// name for DNSAction.Spoofed.
BALLAST_FFI void dnsdist_ffi_dnsquestion_set_result(dnsdist_ffi_dnsquestion_t* dq, const char* str,
                                                    size_t strSize) {
  dq->result.assign(str, strSize);
}

BALLAST_FFI size_t dnsdist_ffi_servers_list_get_count(const dnsdist_ffi_servers_list_t* list) {
  return list->servers.size();
}
BALLAST_FFI void dnsdist_ffi_servers_list_get_server(const dnsdist_ffi_servers_list_t* list,
                                                     size_t idx, const dnsdist_ffi_server_t** out) {
  *out = idx < list->servers.size() ? &list->servers[idx] : nullptr;
}
BALLAST_FFI uint64_t dnsdist_ffi_server_get_outstanding(const dnsdist_ffi_server_t* server) {
  return server->backend->outstanding();
}
BALLAST_FFI bool dnsdist_ffi_server_is_up(const dnsdist_ffi_server_t* server) {
  return server->backend->isUp();
}
BALLAST_FFI const char* dnsdist_ffi_server_get_name(const dnsdist_ffi_server_t* server) {
  return server->backend->name().c_str();
}
BALLAST_FFI int dnsdist_ffi_server_get_weight(const dnsdist_ffi_server_t* server) {
  return server->backend->weight();
}
BALLAST_FFI int dnsdist_ffi_server_get_order(const dnsdist_ffi_server_t* server) {
  return server->backend->order();
}

BALLAST_FFI size_t dnsdist_ffi_dnsquestion_get_size(const dnsdist_ffi_dnsquestion_t* dq) {
  return dq->dq->capacity;
}
BALLAST_FFI bool dnsdist_ffi_dnsquestion_get_do(const dnsdist_ffi_dnsquestion_t* dq) {
  const auto& e = dq->dq->message.edns();
  return e.present && e.dnssecOk;
}
BALLAST_FFI void dnsdist_ffi_dnsquestion_get_sni(const dnsdist_ffi_dnsquestion_t* dq,
                                                 const char** sni, size_t* sniSize) {
  const std::string* s = ballast::lua::serverName(*dq->dq);
  *sni = s ? s->data() : "";
  *sniSize = s ? s->size() : 0;
}
BALLAST_FFI size_t dnsdist_ffi_dnsquestion_get_trailing_data(dnsdist_ffi_dnsquestion_t* dq,
                                                             const char** out) {
  auto t = ballast::lua::trailingData(*dq->dq);
  *out = t.data();
  return t.size();
}
BALLAST_FFI bool dnsdist_ffi_dnsquestion_set_trailing_data(dnsdist_ffi_dnsquestion_t* dq,
                                                           const char* data, size_t dataLen) {
  return ballast::lua::setTrailingData(*dq->dq, {data, dataLen});
}
