#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Regenerates lua/api.txt (its format is summed up at the top of the file) from
dnsdist 1.7's reference documentation and what the ballast binary binds.

    lua/api_gen.py --update BALLAST_BINARY DOCS_DIR

    lua/api_gen.py DOCS_DIR NAMES_FILE > lua/api.txt

    lua/api_gen.py --table lua/api.txt OUT.inc

The second form (run by lua/meson.build) writes the refused functions and their reasons as
C++ initialisers for lua/api_list.cc.

DOCS_DIR is dnsdist 1.7's docs folder (its reference/*.rst and rules-actions.rst; a folder
holding those files flat works too; `git archive dnsdist-1.7.5 pdns/dnsdistdist/docs` of
PowerDNS/pdns gives it) (only the names,
signatures, option names, types and defaults are read from them). NAMES_FILE lists what a fresh
ballast state binds, one "G name" per global function and "M ballast.Meta method" per method
(test/integration/test_api_list.py writes it with --check-config). Descriptions are ballast's
own, written in DESCRIPTIONS below or made from the section; refusal reasons are in REASONS.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# The reference's files in the order dnsdist's index lists them.
FILES = ["config.rst", "rules-actions.rst", "constants.rst", "comboaddress.rst", "dq.rst",
         "dnsname.rst", "dnsnameset.rst", "netmask.rst", "netmaskgroup.rst", "tuning.rst",
         "carbon.rst", "web.rst", "svc.rst", "kvs.rst", "logging.rst", "ebpf.rst",
         "dnscrypt.rst", "protobuf.rst", "dnstap.rst", "snmp.rst"]

# dnsdist's class -> ballast's metatable name (methods are checked there).
CLASSES = {
    "Server": "ballast.Server", "ServerPool": "ballast.Pool", "PacketCache": "ballast.PacketCache",
    "DynBlockRulesGroup": "ballast.DynBlockRulesGroup", "NetmaskGroup": "ballast.NetmaskGroup",
    "SuffixMatchNode": "ballast.SuffixMatchNode", "DNSName": "ballast.DNSName",
    "ComboAddress": "ballast.ComboAddress", "DNSHeader": "ballast.DNSHeader",
    "DOHFrontend": "ballast.DOHFrontend", "TLSContext": "ballast.TLSContext",
    "ClientState": "ballast.Bind",
    "DNSDistProtoBufMessage": "ballast.DNSDistProtoBufMessage", "DnstapMessage": "ballast.DnstapMessage",
}
# DNSQuestion and DNSResponse are one object whose fields and methods an __index function
# serves (lua/dnsquestion.cc).
def dq_members():
    """The fields and methods lua/dnsquestion.cc's __index serves: its `key == "name"` tests."""
    text = (ROOT / "lua" / "dnsquestion.cc").read_text()
    return set(re.findall(r"\bkey == \"([A-Za-z_][A-Za-z0-9_]*)\"", text))


DQ_MEMBERS = dq_members()

NYI = "not yet implemented (issue 20)"
# Refusal reasons, first match wins: (regular expression on the name, reason).
REASONS = [
    (r"(?i)dnscrypt", "DNSCrypt is not part of ballast."),
    (r"(?i)bpf|XskSocket", "eBPF/XDP filtering is not part of ballast."),
    (r"(?i)^(new)?(LMDB|CDB)|KeyValue|KVS|^KeyValueLookupKey", "Key-value stores (LMDB, CDB) are not part of ballast."),
    (r"(?i)protobuf|RemoteLog|newRemoteLogger|DNSDistProtoBufMessage", "Protobuf remote logging is not part of ballast yet."),
    (r"(?i)dnstap|FrameStreamLogger", "dnstap logging is not part of ballast yet."),
    (r"(?i)snmp|SNMP", "SNMP is not part of ballast; use the Prometheus or carbon exports."),
    (r"(?i)ecs|ClientSubnet|Subnet", NYI),
    (r"(?i)proxyprotocol", NYI),
    (r"(?i)^TeeAction$", NYI),
    (r"(?i)xfr", NYI),
    (r"(?i)OCSP", "OCSP stapling is not implemented in ballast yet."),
    (r"(?i)gnutls", "GnuTLS-only: ballast is built with OpenSSL only."),
    (r"(?i)^(setVerbose|setVerboseHealthChecks|setSyslogFacility|setStructuredLogging)", "Logging settings are not implemented in ballast yet."),
    (r"(?i)Rule$", "This selector is not implemented in ballast yet."),
    (r"(?i)ResponseAction$", "This response action is not implemented in ballast yet."),
    (r"(?i)Action$", "This action is not implemented in ballast yet."),
]
DEFAULT_REASON = "Not implemented in ballast yet."

# Options of a function whose binding file accepts the key but not the value dnsdist allows.
OPTION_OVERRIDES = {
}

DESCRIPTIONS = {
    "showVersion": "Prints \"ballast X.Y.Z\": dnsdist's \"NAME VERSION\" format with ballast's name.",
    "TrailingDataRule": "Matches messages with bytes after the last record.",
    "SNIRule": "Matches the TLS server name (SNI) the client sent; DoH only so far (DoT: no SNI reaches the rules yet).",
    "EDNSVersionRule": "Matches messages whose OPT record has an EDNS version above the argument.",
    "DNSSECRule": "Matches queries with the DO bit set.",
    "MaxQPSRule": "Matches while the global rate stays within qps (the first qps queries of a second).",
    "QPSAction": "Drops queries above the rate; the others go on to the next rules.",
    "NegativeAndSOAAction": "Answers NXDOMAIN or NODATA with the given SOA in the additional section.",
    "SetEDNSOptionAction": "Adds (or replaces) an EDNS option in the query; a query without OPT gets one (payload 512).",
    "LuaResponseAction": "Runs a Lua function on the response (shared state, one lock); returns a DNSResponseAction.",
    "LuaFFIResponseAction": "Runs a Lua FFI function on the response (shared state, one lock).",
    "LuaFFIPerThreadResponseAction": "Runs Lua FFI code on the response in a per-thread state, without lock.",
    "setPayloadSizeOnSelfGeneratedAnswers": "The EDNS payload size of the answers ballast makes itself (at least 512; default 1232).",
    "setAddEDNSToSelfGeneratedResponses": "Whether answers ballast makes itself carry an OPT record when the query had one (default true).",
    "setCacheCleaningPercentage": "The share of each cache the cleaning pass frees of expired entries (default 100).",
    "setServerPolicyLuaFFIPerThread": "Sets the global policy to Lua FFI code run in a per-thread state, without lock.",
    "DynBlockRulesGroup:setQuiet": "Accepted; ballast logs no line per new block, so it changes nothing.",
    "DynBlockRulesGroup:setMasks": "Sets the IPv4 and IPv6 masks blocks cover; the port range argument is ignored.",
    "newServer.checkTCP": "Health checks of a plain server over TCP instead of UDP (always so with tcpOnly or tls).",
    "newServer.tcpOnly": "Every query and health check to that server goes over TCP, none over UDP.",
    "newServer.tls": '"openssl": DNS over TLS to the server (or over HTTPS with dohPath); "gnutls" stops start-up, ballast has OpenSSL only.',
    "newServer.caStore": "PEM file of the CAs the server's certificate must chain to; empty: the system's store.",
    "newServer.ciphers": "OpenSSL cipher list for TLS 1.2 and older toward the server.",
    "newServer.ciphersTLS13": "OpenSSL TLS 1.3 cipher suites toward the server (ciphers13 is accepted too).",
    "newServer.subjectName": "Sent as SNI (host names only) and checked against the server's certificate; DoH's :authority.",
    "newServer.validateCertificates": "Whether the server's certificate is checked (chain, subjectName, subjectAddr); default true.",
    "newServer.dohPath": "DNS over HTTPS to the server: POSTs of application/dns-message to this path over HTTP/2, many streams per connection.",
    "newServer.addXForwardedHeaders": "DoH servers get X-Forwarded-For and X-Forwarded-Port with the client's address (X-Forwarded-Proto not sent yet).",
    "newServer.releaseBuffers": "Idle TLS connections to the server give back OpenSSL's record buffers; default true.",
    "newServer.enableRenegotiation": "Whether the server may renegotiate TLS; default false.",
    "getOutgoingTLSSessionCacheSize": "The TLS sessions kept, summed over servers, to resume connections to them.",
    "setOutgoingTLSSessionsCacheMaxTicketsPerBackend": "Sessions kept per server for resumption (default 20); read when the servers start.",
    "setOutgoingTLSSessionsCacheCleanupDelay": "Seconds between two sweeps of expired kept sessions (default 60).",
    "setOutgoingTLSSessionsCacheMaxTicketValidity": "Seconds a kept session may be used to resume (default 600).",
    "RCodeAction.ra": "Sets or clears RA; without it RA stays as the query had it (normally clear), as in dnsdist.",
    "ERCodeAction.ra": "Sets or clears RA; without it RA stays as the query had it (normally clear), as in dnsdist.",
    "errlog": "Writes the line to stderr.",
    "warnlog": "Writes the line to stderr.",
    "infolog": "Writes the line to stdout.",
    "NoRecurseAction": "The pre-1.6 name of SetNoRecurseAction.",
    "DisableValidationAction": "The pre-1.6 name of SetDisableValidationAction.",
    "SkipCacheAction": "The pre-1.6 name of SetSkipCacheAction.",
    "TagAction": "The pre-1.6 name of SetTagAction.",
    "SetNegativeAndSOAAction": "The pre-1.6 name of NegativeAndSOAAction.",
    "SetSkipCacheResponseAction": "Do not store this answer in the packet cache.",
    "SetTempFailureCacheTTLAction": "Cache a SERVFAIL or REFUSED answer to this query for ttl seconds instead of temporaryFailureTTL.",
    "newPacketCache.parseECS": "Accepted: every EDNS option not skipped, ECS included, is part of the cache key, so answers for different client subnets never mix.",
    "addLocal.interface": "SO_BINDTODEVICE on the UDP and TCP sockets; an unknown interface stops start-up.",
    "addLocal.cpus": "Pins the bind's UDP listener thread and TCP acceptor thread to these CPUs (TCP workers are shared by all binds, as in dnsdist).",
    "addLocal.tcpListenQueueSize": "The listen() backlog of the TCP socket (default SOMAXCONN).",
    "addLocal.tcpFastOpenQueueSize": "Enables TCP Fast Open on the TCP socket with this queue size.",
    "addTLSLocal.cpus": "Pins the bind's TCP acceptor thread to these CPUs (TCP workers are shared by all binds, as in dnsdist).",
    "addDOHLocal.cpus": "Pins the bind's TCP acceptor thread to these CPUs (TCP workers are shared by all binds, as in dnsdist).",
    "addTLSLocal.ticketsKeysRotationDelay": "Rotates the tickets key (or reads ticketKeyFile again) when this many seconds have passed, checked as connections arrive; 0: never.",
    "addDOHLocal.ticketsKeysRotationDelay": "Rotates the tickets key (or reads ticketKeyFile again) when this many seconds have passed, checked as connections arrive; 0: never.",
    "addTLSLocal.numberOfStoredSessions": "The size of OpenSSL's server-side session cache (default 20480); 0 turns it off.",
    "addDOHLocal.numberOfStoredSessions": "The size of OpenSSL's server-side session cache (default 20480); 0 turns it off.",
    "addDOHLocal.releaseBuffers": "Whether OpenSSL gives a connection's TLS buffers back when idle (default true); ballast's own HTTP buffers are always given back.",
    "addDOHLocal.internalPipeBufferSize": "Accepted and without effect: ballast's DoH connections run in the TCP workers, with no internal pipe to size.",
    "newServer.id": "The server's UUID (random when not given), shown by showServers{showUUIDs=true}; must be a UUID.",
    "newServer.retries": "How many times a TCP query is sent when its connection fails (default 2 in ballast, 5 in dnsdist).",
    "newServer.tcpConnectTimeout": "Seconds a TCP connection to the server may take to open; unset: the query's timeout.",
    "newServer.tcpSendTimeout": "Seconds a TCP connection may make no write progress; unset: the query's timeout.",
    "newServer.tcpRecvTimeout": "Seconds to wait for an answer over TCP; unset: the UDP timeout (dnsdist: 30).",
    "newServer.maxInFlight": "Queries at once on one TCP connection to the server; 0: ballast's default of 100 (ballast always pipelines).",
    "newServer.checkTCP": "Health checks over TCP instead of UDP.",
    "newServer.source": "Source address, interface, or address@interface of UDP and TCP sockets to the server.",
    "newServer.reconnectOnUp": "New UDP sockets (new ports, interface looked up again) when the server goes up.",
    "Server:getLatency": "The average latency in microseconds.",
    "dynBlockRulesGroup": "Makes a DynBlockRulesGroup (dnsdist 1.7's name; newDynBlockRulesGroup is ballast's alias).",
}

# Functions the configuration defines and ballast calls: not globals of a fresh state.
CALLBACKS = {
    "maintenance": "Defined by the configuration; ballast calls it once a second.",
}

SECTION_KIND = [
    (r"(?i)rule", "A selector."),
    (r"(?i)action", "An action."),
]


def read(docs, name):
    for p in (docs / name, docs / "reference" / name):
        if p.exists():
            return p.read_text(errors="replace").splitlines()
    return []


HEADER = re.compile(r"^([=~\-^\"'`#*+]){3,}\s*$")
DIRECTIVE = re.compile(r"^(\s*)\.\. (function|method|class|attribute)::\s*(.+?)\s*$")
OPTION = re.compile(r"^\s*\*\s+``([A-Za-z][A-Za-z0-9_]*)(?:=[^`]*)?``\s*:\s*([A-Za-z{}\[\] ]+?)\s*(?:-|$)")
TABLE_OPTION = re.compile(r"^\s+([A-Za-z][A-Za-z0-9_]*)=([A-Za-z\"{}\[\]:.|]+),?\s*(?:--\s*(.*))?$")
DEFAULT = re.compile(r"[Dd]efault(?:s)?(?: value)?(?: is| to|:)?\s+"
                     r"(``[^`]+``|\"[^\"]*\"|true|false|-?\d+(?:\.\d+)?\b|[A-Z_]{3,}\b)")


def parse(docs):
    """[(section, kind, name, signature or type)], with options after their function."""
    out = []
    for fname in FILES:
        lines = read(docs, fname)
        section = None
        current = None  # the function or method whose options follow
        in_table = False
        for i, line in enumerate(lines):
            if i + 1 < len(lines) and HEADER.match(lines[i + 1]) and line.strip() and not line.startswith(".."):
                if not HEADER.match(line) and len(lines[i + 1].strip()) >= len(line.strip()) - 2:
                    section = line.strip().replace("``", "")
                    current = None
                    continue
            m = DIRECTIVE.match(line)
            if m:
                kind, text = m.group(2), m.group(3)
                in_table = False
                if kind == "class":
                    out.append((section, "object", text.split("(")[0].strip(), text))
                    current = None
                    continue
                name = text.split("(")[0].strip()
                name = re.sub(r"\s*->.*$", "", name)
                sig = re.sub(r"\s*->.*$", "", text)
                if kind == "attribute":
                    out.append((section, "object", name, "attribute"))
                    current = None
                    continue
                out.append((section, "function" if kind == "function" else "method", name, sig))
                current = name
                continue
            if current is None:
                continue
            if "code-block" in line or line.rstrip().endswith("::"):
                in_table = True
                continue
            if in_table and not OPTION.match(line):
                t = TABLE_OPTION.match(line)
                if t:
                    typ = t.group(2).strip('",').lower()
                    d = DEFAULT.search(t.group(3) or "")
                    out.append((section, "option", f"{current}.{t.group(1)}",
                                typ + (f", default {d.group(1).strip('`')}" if d else "")))
                    continue
                if line.strip() and not line.startswith(" "):
                    in_table = False
                continue
            o = OPTION.match(line)
            if o:
                d = DEFAULT.search(line[o.end():])
                out.append((section, "option", f"{current}.{o.group(1)}",
                            o.group(2).strip() + (f", default {d.group(1).strip('`')}" if d else "")))
    # One entry per name (dnsdist documents a few twice).
    seen, unique = set(), []
    for e in out:
        if (e[1], e[2]) in seen:
            continue
        seen.add((e[1], e[2]))
        unique.append(e)
    return unique


def binding_options():
    """{function name: set of option keys its binding file reads}."""
    by_fn = {}
    # Any variable holding an Options (o, opts, ...): its readers are named after the types.
    key_re = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*(?:\.|->)"
                        r"(?:string|strings|integer|integers|number|boolean|function|table)"
                        r"\(\s*\"([A-Za-z0-9_]+)\"")
    # Readers shared between files (`core::ListenOptions readListenOptions(Options& o) {`):
    # a file calling one reads its keys too.
    helper_re = re.compile(r"^[A-Za-z:<>_ ]+?\b([A-Za-z_][A-Za-z0-9_]*)\(Options& [a-z]+[^)]*\) \{$(.*?)^\}",
                           re.M | re.S)
    texts = {path: path.read_text() for path in sorted((ROOT / "lua").glob("*.cc"))}
    helpers = {}
    for text in texts.values():
        for name, body in helper_re.findall(text):
            helpers[name] = set(key_re.findall(body))
    for path, text in texts.items():
        keys = set(key_re.findall(text))
        for name, hkeys in helpers.items():
            if re.search(r"\b" + name + r"\(", text):
                keys |= hkeys
        for fn in re.findall(r"\{\"([A-Za-z][A-Za-z0-9_]*)\",\s*(?:wrap|\[|make[A-Z])", text):
            by_fn.setdefault(fn, set()).update(keys)
    return by_fn


def reason_for(name):
    for pattern, reason in REASONS:
        if re.search(pattern, name):
            return reason
    return DEFAULT_REASON


def describe(section, kind, name):
    if name in DESCRIPTIONS:
        return DESCRIPTIONS[name]
    if kind == "option":
        return "Read as dnsdist documents it."
    if kind == "object":
        return "Available to Lua as in dnsdist."
    for pattern, text in SECTION_KIND:
        if re.search(pattern, name):
            return text + " As dnsdist documents it."
    return "As dnsdist documents it."


def write_table(api, out):
    """The refused functions of api.txt as {"name", "reason"} lines, sorted by name."""
    rows = []
    for line in pathlib.Path(api).read_text().splitlines():
        if not line.startswith("refused function "):
            continue
        head, _, rest = line.partition(" | ")
        reason = rest.partition(" | ")[2].strip()
        rows.append((head.split()[2], reason))
    def c(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    pathlib.Path(out).write_text("".join(f"{{{c(n)}, {c(r)}}},\n" for n, r in sorted(rows)))


GENERIC = {"As dnsdist documents it.", "Read as dnsdist documents it.",
           "Available to Lua as in dnsdist.", DEFAULT_REASON, NYI}


def previous_texts(api):
    """(kind, name) -> (state, text) of an existing api.txt, for --update to keep the
    descriptions and reasons written there by hand."""
    out = {}
    if not pathlib.Path(api).exists():
        return out
    for line in pathlib.Path(api).read_text().splitlines():
        fields = line.split(" | ")
        head = fields[0].split()
        if len(fields) == 3 and len(head) == 3 and head[0] in ("supported", "refused"):
            out[(head[1], head[2])] = (head[0], fields[2].strip())
    return out


def generate(docs, names, keep):
    globals_ = {n[2:] for n in names if n.startswith("G ")}
    methods = {tuple(n[2:].split(" ", 1)) for n in names if n.startswith("M ")}
    options = binding_options()
    lines = [
        "# The dnsdist 1.7 API and its state in ballast, generated by lua/api_gen.py from",
        "# dnsdist 1.7's reference (names, signatures, option types and defaults) and what a",
        "# fresh ballast state binds; descriptions and reasons are ballast's own.",
        "# <state> <kind> <name> | <signature, or type and default> | <description, or the reason>",
        "# test/integration/test_api_list.py checks every supported function is bound and",
        "# every refused one is not.",
    ]
    last = None
    counts = {"supported": 0, "refused": 0}
    for section, kind, name, sig in parse(docs):
        if section != last:
            lines += ["", f"## {section}"]
            last = section
        supported = False
        if kind == "function" and name in CALLBACKS:
            counts["supported"] += 1
            lines.append(f"supported setting {name} | {sig} | {CALLBACKS[name]}")
            continue
        if kind == "function":
            supported = name in globals_
        elif kind == "method":
            cls, _, m = name.replace(".", ":").partition(":")
            if cls in ("DNSQuestion", "DNSResponse"):
                supported = m in DQ_MEMBERS
            else:
                supported = (CLASSES.get(cls), m) in methods
        elif kind == "object":
            cls, _, m = name.partition(".")
            if m:
                supported = (m in DQ_MEMBERS if cls in ("DNSQuestion", "DNSResponse")
                             else (CLASSES.get(cls), m) in methods)
            else:
                supported = cls in CLASSES or cls in ("DNSQuestion", "DNSResponse")
        elif kind == "option":
            fn, _, key = name.rpartition(".")
            supported = key in options.get(fn, set()) and name not in OPTION_OVERRIDES
        state = "supported" if supported else "refused"
        counts[state] += 1
        if supported:
            text = describe(section, kind, name)
        else:
            text = OPTION_OVERRIDES.get(name) or DESCRIPTIONS.get(name) or reason_for(name)
        old_state, old_text = keep.get((kind, name), (None, None))
        if old_state == state and old_text not in GENERIC:
            text = old_text
        lines.append(f"{state} {kind} {name} | {sig} | {text}")
    lines += ["", f"# {counts['supported']} supported, {counts['refused']} refused."]
    return lines


def dump_names(ballast):
    """What a fresh state of the ballast binary binds (lua/api_names.lua)."""
    import os
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "names.txt"
        subprocess.run([ballast, "-C", str(ROOT / "lua" / "api_names.lua"), "--check-config"],
                       check=True, stdin=subprocess.DEVNULL,
                       env={**os.environ, "BALLAST_API_NAMES": str(out)})
        return out.read_text().splitlines()


def main():
    if sys.argv[1] == "--table":
        write_table(sys.argv[2], sys.argv[3])
        return
    if sys.argv[1] == "--update":
        api = ROOT / "lua" / "api.txt"
        lines = generate(pathlib.Path(sys.argv[3]), dump_names(sys.argv[2]), previous_texts(api))
        api.write_text("\n".join(lines) + "\n")
        return
    names = pathlib.Path(sys.argv[2]).read_text().splitlines()
    print("\n".join(generate(pathlib.Path(sys.argv[1]), names, {})))


if __name__ == "__main__":
    main()
