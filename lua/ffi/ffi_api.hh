// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The C API that LuaFFI rules and actions reach through LuaJIT's ffi.C, with dnsdist's
/// names. kFfiCdef is the one declaration of it: every Lua state that runs FFI code gets
/// it through ffi.cdef, and ffi_api.cc defines each function with the same signature.
#include <string>
#include <vector>

#include "core/backend.hh"

#include "core/rules/rule.hh"

/// What an FFI function receives as `dq`: the query (or response) and what the Lua
/// function asked for with set_result (a pool name, a spoofed address).
struct dnsdist_ffi_dnsquestion_t {
  ballast::core::rules::DQ* dq;
  std::string result;
};

/// A server as FFI policies see it, and the list handed to them.
struct dnsdist_ffi_server_t {
  const ballast::core::Backend* backend;
};
struct dnsdist_ffi_servers_list_t {
  std::vector<dnsdist_ffi_server_t> servers;
};

namespace ballast::lua::ffi {

inline constexpr const char* kFfiCdef = R"(
typedef struct dnsdist_ffi_dnsquestion_t dnsdist_ffi_dnsquestion_t;
uint16_t dnsdist_ffi_dnsquestion_get_qtype(const dnsdist_ffi_dnsquestion_t* dq);
uint16_t dnsdist_ffi_dnsquestion_get_qclass(const dnsdist_ffi_dnsquestion_t* dq);
uint16_t dnsdist_ffi_dnsquestion_get_id(const dnsdist_ffi_dnsquestion_t* dq);
void dnsdist_ffi_dnsquestion_get_qname_raw(const dnsdist_ffi_dnsquestion_t* dq, const char** qname, size_t* qnameSize);
size_t dnsdist_ffi_dnsquestion_get_qname_text(const dnsdist_ffi_dnsquestion_t* dq, char* out, size_t outSize);
void dnsdist_ffi_dnsquestion_get_remoteaddr(const dnsdist_ffi_dnsquestion_t* dq, const void** addr, size_t* addrSize);
uint16_t dnsdist_ffi_dnsquestion_get_remote_port(const dnsdist_ffi_dnsquestion_t* dq);
void dnsdist_ffi_dnsquestion_get_localaddr(const dnsdist_ffi_dnsquestion_t* dq, const void** addr, size_t* addrSize);
uint16_t dnsdist_ffi_dnsquestion_get_local_port(const dnsdist_ffi_dnsquestion_t* dq);
uint16_t dnsdist_ffi_dnsquestion_get_len(const dnsdist_ffi_dnsquestion_t* dq);
uint8_t dnsdist_ffi_dnsquestion_get_opcode(const dnsdist_ffi_dnsquestion_t* dq);
uint8_t dnsdist_ffi_dnsquestion_get_rcode(const dnsdist_ffi_dnsquestion_t* dq);
bool dnsdist_ffi_dnsquestion_get_rd(const dnsdist_ffi_dnsquestion_t* dq);
bool dnsdist_ffi_dnsquestion_get_tcp(const dnsdist_ffi_dnsquestion_t* dq);
bool dnsdist_ffi_dnsquestion_get_skip_cache(const dnsdist_ffi_dnsquestion_t* dq);
void dnsdist_ffi_dnsquestion_set_skip_cache(dnsdist_ffi_dnsquestion_t* dq, bool skip);
void dnsdist_ffi_dnsquestion_set_rcode(dnsdist_ffi_dnsquestion_t* dq, uint8_t rcode);
const char* dnsdist_ffi_dnsquestion_get_tag(const dnsdist_ffi_dnsquestion_t* dq, const char* label);
void dnsdist_ffi_dnsquestion_set_tag(dnsdist_ffi_dnsquestion_t* dq, const char* label, const char* value);
void dnsdist_ffi_dnsquestion_set_result(dnsdist_ffi_dnsquestion_t* dq, const char* str, size_t strSize);
size_t dnsdist_ffi_dnsquestion_get_size(const dnsdist_ffi_dnsquestion_t* dq);
bool dnsdist_ffi_dnsquestion_get_do(const dnsdist_ffi_dnsquestion_t* dq);
void dnsdist_ffi_dnsquestion_get_sni(const dnsdist_ffi_dnsquestion_t* dq, const char** sni, size_t* sniSize);
size_t dnsdist_ffi_dnsquestion_get_trailing_data(dnsdist_ffi_dnsquestion_t* dq, const char** out);
bool dnsdist_ffi_dnsquestion_set_trailing_data(dnsdist_ffi_dnsquestion_t* dq, const char* data, size_t dataLen);
typedef struct dnsdist_ffi_servers_list_t dnsdist_ffi_servers_list_t;
typedef struct dnsdist_ffi_server_t dnsdist_ffi_server_t;
size_t dnsdist_ffi_servers_list_get_count(const dnsdist_ffi_servers_list_t* list);
void dnsdist_ffi_servers_list_get_server(const dnsdist_ffi_servers_list_t* list, size_t idx, const dnsdist_ffi_server_t** out);
uint64_t dnsdist_ffi_server_get_outstanding(const dnsdist_ffi_server_t* server);
bool dnsdist_ffi_server_is_up(const dnsdist_ffi_server_t* server);
const char* dnsdist_ffi_server_get_name(const dnsdist_ffi_server_t* server);
int dnsdist_ffi_server_get_weight(const dnsdist_ffi_server_t* server);
int dnsdist_ffi_server_get_order(const dnsdist_ffi_server_t* server);
typedef struct dnsdist_ffi_stat_node_t dnsdist_ffi_stat_node_t;
uint64_t dnsdist_ffi_stat_node_get_queries_count(const dnsdist_ffi_stat_node_t* node);
uint64_t dnsdist_ffi_stat_node_get_noerrors_count(const dnsdist_ffi_stat_node_t* node);
uint64_t dnsdist_ffi_stat_node_get_nxdomains_count(const dnsdist_ffi_stat_node_t* node);
uint64_t dnsdist_ffi_stat_node_get_servfails_count(const dnsdist_ffi_stat_node_t* node);
uint64_t dnsdist_ffi_stat_node_get_drops_count(const dnsdist_ffi_stat_node_t* node);
uint64_t dnsdist_ffi_stat_node_get_bytes(const dnsdist_ffi_stat_node_t* node);
unsigned int dnsdist_ffi_stat_node_get_labels_count(const dnsdist_ffi_stat_node_t* node);
void dnsdist_ffi_stat_node_get_full_name_raw(const dnsdist_ffi_stat_node_t* node, const char** name, size_t* nameSize);
unsigned int dnsdist_ffi_stat_node_get_children_count(const dnsdist_ffi_stat_node_t* node);
uint64_t dnsdist_ffi_stat_node_get_children_queries_count(const dnsdist_ffi_stat_node_t* node);
uint64_t dnsdist_ffi_stat_node_get_children_noerrors_count(const dnsdist_ffi_stat_node_t* node);
uint64_t dnsdist_ffi_stat_node_get_children_nxdomains_count(const dnsdist_ffi_stat_node_t* node);
uint64_t dnsdist_ffi_stat_node_get_children_servfails_count(const dnsdist_ffi_stat_node_t* node);
uint64_t dnsdist_ffi_stat_node_get_children_drops_count(const dnsdist_ffi_stat_node_t* node);
uint64_t dnsdist_ffi_stat_node_get_children_bytes_count(const dnsdist_ffi_stat_node_t* node);
void dnsdist_ffi_state_node_set_reason(dnsdist_ffi_stat_node_t* node, const char* reason, size_t reasonSize);
)";

/// Does nothing; calling it links ffi_api.cc's object into the binary, whose functions
/// nothing else references (the linker would leave them out of the static library's
/// users).
void linkApi();

}  // namespace ballast::lua::ffi
