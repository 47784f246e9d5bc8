# SPDX-License-Identifier: GPL-2.0-only
"""dnsdist 1.7's Lua objects (issue 20): Netmask, newCA and ComboAddress methods, DNSName
chopOff/toDNSString, DNSNameSet, NetmaskGroup:clear, SuffixMatchNode:remove, those objects
accepted where dnsdist takes them; and the DNSQuestion / DNSResponse methods over UDP, TCP
and DoH (getContent, getDO, getEDNSOptions, getProtocol, getHTTP*, trailing data, spoof,
setTagArray, setEDNSOption, setNegativeAndAdditionalSOA, setHTTPResponse, editTTLs)."""

import os
import socket
import ssl
import time

import dns.edns
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

import harness
from fakedns import a_addresses, make_query
from rules_util import ask, rcode
from tcpdns import StreamClient
from test_doh import Curl, b64, make_cert, start_doh
from test_dot import client_context, start_dot

CONFIG_CHECKS = r"""
local m = newNetmask("192.0.2.77/24")
assert(m:getBits() == 24 and m:toString() == "192.0.2.0/24" and tostring(m) == "192.0.2.0/24")
assert(m:getNetwork():toString() == "192.0.2.0" and m:getMaskedNetwork():toString() == "192.0.2.0")
assert(m:isIPv4() and not m:isIPv6() and not m:empty())
assert(m:match("192.0.2.200") and not m:match("192.0.3.1") and m:match(newCA("192.0.2.9")))
assert(not m:match("bogus"))
local m6 = newNetmask(newCA("2001:db8::1"), 32)
assert(m6:toString() == "2001:db8::/32" and m6:isIPv6() and m6:isIpv6())
assert(newNetmask("10.0.0.0/8") == newNetmask(newCA("10.1.2.3"), 8))
assert(newNetmask("10.0.0.0/8") ~= newNetmask("10.0.0.0/9"))
local g = newNMG()
g:addMask(m)
g:addMask(newNetmask("10.0.0.0/8"))
assert(g:size() == 2 and g:match(newCA("10.2.3.4")) and g:match("192.0.2.1"))
g:clear()
assert(g:size() == 0 and not g:match("10.2.3.4"))
local ca = newCA("192.0.2.255")
ca:truncate(25)
assert(ca:toString() == "192.0.2.128")
local mapped = newCA("::ffff:192.0.2.1")
assert(mapped:isMappedIPv4() and mapped:mapToIPv4():toString() == "192.0.2.1")
assert(not ca:isMappedIPv4() and not pcall(function() return ca:mapToIPv4() end))
local n = newDNSName("www.Example.com.")
assert(n:chopOff() and n:toString() == "Example.com.")
assert(n:toDNSString() == "\7Example\3com\0")
assert(n == newDNSName("example.COM.") and n ~= newDNSName("example.net."))
assert(newCA("192.0.2.1") == newCA("192.0.2.1") and newCA("192.0.2.1") ~= newCA("192.0.2.2"))
local root = newDNSName(".")
assert(not root:chopOff() and root:toDNSString() == "\0")
local s = newDNSNameSet()
assert(s:empty())
s:add(newDNSName("a.test."))
s:add("b.test.")
s:add(newDNSName("A.TEST."))
assert(s:size() == 2 and s:check(newDNSName("a.TEST.")) and not s:check("c.test."))
assert(s:toString() == "a.test.\nb.test.\n" and tostring(s) == s:toString())
assert(s:delete(newDNSName("b.test.")) == 1 and s:delete("b.test.") == 0 and s:size() == 1)
s:clear()
assert(s:empty())
local smn = newSuffixMatchNode()
smn:add(newDNSName("x.test."))
smn:add("y.test.")
assert(smn:check(newDNSName("a.x.test.")))
smn:remove(newDNSName("x.test."))
assert(not smn:check("a.x.test.") and smn:check("a.y.test."))
local key = makeIPCipherKey("secret")
assert(#key == 16 and key == makeIPCipherKey("secret"))
local e = newCA("127.0.0.1"):ipencrypt("some 16-byte key")
assert(e:toString() == "114.62.227.59" and e:ipdecrypt("some 16-byte key"):toString() == "127.0.0.1")
local e6 = newCA("2001:db8::1"):ipencrypt(key)
assert(e6:isIPv6() and e6:toString() ~= "2001:db8::1" and e6:ipdecrypt(key):toString() == "2001:db8::1")
assert(not pcall(function() return e:ipencrypt("short") end))
"""


def check_config(tmp_path, lua):
    conf = tmp_path / "objects.conf"
    conf.write_text('setLocal("127.0.0.1:1")\n' + lua)
    return harness.run_binary(["-C", str(conf), "--check-config"])


def test_objects_at_configuration_time(tmp_path):
    r = check_config(tmp_path, CONFIG_CHECKS)
    assert r.returncode == 0, r.stdout + r.stderr
    # The checks can fail: a wrong expectation stops the configuration with its line.
    r = check_config(tmp_path, 'assert(newNetmask("192.0.2.0/24"):getBits() == 25)\n')
    assert r.returncode != 0 and "objects.conf:2:" in r.stderr, r.stderr
    r = check_config(tmp_path, 'newNetmask("192.0.2.0/33")\n')
    assert r.returncode != 0 and "newNetmask" in r.stderr, r.stderr


ECHO = r"""
local function txt(dq, s)
  dq:spoof(string.char(#s) .. s)
  return DNSAction.HeaderModify, ""
end
addAction(AndRule{QNameSuffixRule("echo.test."), QTypeRule(DNSQType.TXT)}, LuaAction(function(dq)
  local what = dq.qname:toString():match("^([^.]+)")
  if what == "proto" then return txt(dq, dq:getProtocol()) end
  if what == "do" then return txt(dq, tostring(dq:getDO())) end
  if what == "content" then
    local c = dq:getContent()
    if dq.size < dq.len then return txt(dq, "bad size") end
    return txt(dq, #c .. ":" .. dq.len .. ":" .. (c:byte(1) * 256 + c:byte(2)))
  end
  if what == "edns" then
    local o = dq:getEDNSOptions()[65001]
    return txt(dq, o and (o:count() .. ":" .. table.concat(o:getValues(), ",")) or "none")
  end
  if what == "setedns" then
    dq:setEDNSOption(65002, "xyz")
    local o = dq:getEDNSOptions()[65002]
    return txt(dq, o and o:getValues()[1] or "none")
  end
  if what == "trail" then
    local t = dq:getTrailingData()
    local ok = dq:setTrailingData("new")
    return txt(dq, t .. "|" .. tostring(ok) .. "|" .. dq:getTrailingData())
  end
  if what == "sni" then return txt(dq, "[" .. dq:getServerNameIndication() .. "]") end
  if what == "http" then
    local h = dq:getHTTPHeaders()
    return txt(dq, dq:getHTTPScheme() .. "|" .. dq:getHTTPHost() .. "|" .. dq:getHTTPPath() ..
               "|" .. dq:getHTTPQueryString():sub(1, 4) .. "|" .. (h["x-test"] or ""))
  end
  return txt(dq, "unknown")
end))
addAction("spoofca.test.", LuaAction(function(dq)
  dq:spoof({newCA("192.0.2.1"), newCA("192.0.2.2")})
  return DNSAction.HeaderModify, ""
end))
addAction("spoofone.test.", LuaAction(function(dq)
  dq:spoof(newCA("192.0.2.3"))
  return DNSAction.HeaderModify, ""
end))
addAction("spoofraws.test.", LuaAction(function(dq)
  dq:spoof({"\192\000\002\004", "\192\000\002\005"})
  return DNSAction.HeaderModify, ""
end))
addAction("tags.test.", LuaAction(function(dq)
  dq:setTagArray({a = "1", b = "2"})
  return DNSAction.None, ""
end))
addAction(AndRule{QNameRule("tags.test."), TagRule("b", "2")}, RCodeAction(DNSRCode.NOTIMP))
addAction("neg.test.", LuaAction(function(dq)
  dq:setNegativeAndAdditionalSOA(true, newDNSName("test."), 42, "ns.test.", "host.test.", 1, 2, 3, 4, 5)
  return DNSAction.HeaderModify, ""
end))
addAction("teapot.test.", LuaAction(function(dq)
  dq:setHTTPResponse(418, "I am a teapot", "text/plain")
  dq.dh:setQR(true)
  return DNSAction.HeaderModify, ""
end))
addResponseAction("ttl.test.", LuaResponseAction(function(dr)
  dr:editTTLs(function(section, qclass, qtype, ttl)
    if section == 1 and qclass == DNSClass.IN and qtype == DNSQType.A then return 7 end
    return ttl
  end)
  return DNSResponseAction.None, ""
end))
local ffi = require("ffi")
addAction("ffitrail.test.", LuaFFIAction(function(dq)
  local out = ffi.new("const char*[1]")
  local n = ffi.C.dnsdist_ffi_dnsquestion_get_trailing_data(dq, out)
  local tail = ffi.string(out[0], n)
  local sni, len = ffi.new("const char*[1]"), ffi.new("size_t[1]")
  ffi.C.dnsdist_ffi_dnsquestion_get_sni(dq, sni, len)
  if tail == "tail" and ffi.C.dnsdist_ffi_dnsquestion_set_trailing_data(dq, "x", 1)
     and ffi.C.dnsdist_ffi_dnsquestion_get_trailing_data(dq, out) == 1
     and ffi.C.dnsdist_ffi_dnsquestion_get_size(dq) >= ffi.C.dnsdist_ffi_dnsquestion_get_len(dq)
     and len[0] == 0 and ffi.C.dnsdist_ffi_dnsquestion_get_do(dq) then
    return DNSAction.Refused
  end
  return DNSAction.Nxdomain
end))
local set = newDNSNameSet()
set:add(newDNSName("inset.test."))
addAction(QNameSetRule(set), RCodeAction(DNSRCode.REFUSED))
addAction(QNameRule(newDNSName("byname.test.")), RCodeAction(DNSRCode.NOTIMP))
local smn = newSuffixMatchNode()
smn:add(newDNSName("suffix.test."))
addAction(SuffixMatchNodeRule(smn), RCodeAction(DNSRCode.YXDOMAIN))
addAction(AndRule{QNameRule("nmg.test."), NetmaskGroupRule(newNetmask("127.0.0.0/8"))}, RCodeAction(DNSRCode.NXRRSET))
"""


def txt_of(r):
    assert r is not None and r.answer, r
    return b"".join(r.answer[0][0].strings).decode()


def test_dnsquestion_methods_over_udp_and_tcp(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua=ECHO)
    c = client()
    assert txt_of(ask(c, b, "proto.echo.test.", "TXT")) == "Do53 UDP"
    host, port = b.listen[0]
    r = dns.query.tcp(make_query("proto.echo.test.", "TXT"), host, port=port, timeout=3)
    assert txt_of(r) == "Do53 TCP"
    assert txt_of(ask(c, b, "do.echo.test.", "TXT", want_dnssec=True)) == "true"
    assert txt_of(ask(c, b, "do.echo.test.", "TXT")) == "false"
    q = make_query("content.echo.test.", "TXT", qid=4660)
    assert txt_of(c.ask(q, b.listen[0])) == f"{len(q.to_wire())}:{len(q.to_wire())}:4660"
    q = dns.message.make_query("edns.echo.test.", "TXT", use_edns=0, options=[
        dns.edns.GenericOption(65001, b"one"), dns.edns.GenericOption(65001, b"two")])
    assert txt_of(c.ask(q, b.listen[0])) == "2:one,two"
    assert txt_of(ask(c, b, "edns.echo.test.", "TXT")) == "none"
    assert txt_of(ask(c, b, "setedns.echo.test.", "TXT")) == "xyz"
    wire = make_query("trail.echo.test.", "TXT", qid=77).to_wire() + b"tail"
    got = c.ask_raw(wire, b.listen[0])
    assert got is not None
    assert txt_of(dns.message.from_wire(got[0])) == "tail|true|new"
    assert txt_of(ask(c, b, "sni.echo.test.", "TXT")) == "[]"
    # the FFI's counterparts
    wire = make_query("ffitrail.test.", qid=78, want_dnssec=True).to_wire() + b"tail"
    assert dns.message.from_wire(c.ask_raw(wire, b.listen[0])[0]).rcode() == dns.rcode.REFUSED
    wire = make_query("ffitrail.test.", qid=79, want_dnssec=True).to_wire()
    assert dns.message.from_wire(c.ask_raw(wire, b.listen[0])[0]).rcode() == dns.rcode.NXDOMAIN
    assert txt_of(ask(c, b, "http.echo.test.", "TXT")) == "||||"

    assert sorted(a_addresses(ask(c, b, "spoofca.test."))) == ["192.0.2.1", "192.0.2.2"]
    assert a_addresses(ask(c, b, "spoofone.test.")) == ["192.0.2.3"]
    assert sorted(a_addresses(ask(c, b, "spoofraws.test."))) == ["192.0.2.4", "192.0.2.5"]
    assert rcode(ask(c, b, "tags.test.")) == dns.rcode.NOTIMP
    r = ask(c, b, "neg.test.")
    assert rcode(r) == dns.rcode.NXDOMAIN and not r.authority
    soa = [rr for rr in r.additional if rr.rdtype == dns.rdatatype.SOA]
    assert soa and soa[0].ttl == 42 and soa[0][0].minimum == 5
    assert str(soa[0][0].mname) == "ns.test."
    r = ask(c, b, "ttl.test.")
    assert a_addresses(r) == [be.answer] and r.answer[0].ttl == 7
    assert a_addresses(ask(c, b, "other.test.")) == [be.answer]
    # setHTTPResponse is ignored outside DoH: the query comes back as the answer
    assert rcode(ask(c, b, "teapot.test.")) == dns.rcode.NOERROR
    # objects accepted where dnsdist takes them
    assert rcode(ask(c, b, "inset.test.")) == dns.rcode.REFUSED
    assert rcode(ask(c, b, "x.inset.test.")) == dns.rcode.NOERROR
    assert rcode(ask(c, b, "byname.test.")) == dns.rcode.NOTIMP
    assert rcode(ask(c, b, "a.suffix.test.")) == dns.rcode.YXDOMAIN
    assert rcode(ask(c, b, "nmg.test.")) == dns.rcode.NXRRSET


def test_dnsquestion_http_methods_over_doh(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path)
    b, (host, port) = start_doh(start_ballast, [be], cert, key,
                                options="keepIncomingHeaders=true", lua=ECHO)
    curl = Curl(host, port, cert, tmp_path)

    def get(name, rdtype="TXT", headers=()):
        q = make_query(name, rdtype)
        return curl("/dns-query?dns=" + b64(q.to_wire()), headers=headers)

    status, _, body = get("proto.echo.test.")
    assert status == 200 and txt_of(dns.message.from_wire(body)) == "DNS over HTTPS"
    status, _, body = get("http.echo.test.", headers=["X-Test: hello"])
    assert status == 200
    assert txt_of(dns.message.from_wire(body)) == f"https|doh.test:{port}|/dns-query|dns=|hello"
    status, _, body = get("sni.echo.test.")
    assert txt_of(dns.message.from_wire(body)) == "[doh.test]"
    status, headers, body = get("teapot.test.", "A")
    assert (status, body) == (418, b"I am a teapot")
    assert headers["content-type"].startswith("text/plain")


def peer_cert(host, port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=3) as raw:
        with ctx.wrap_socket(raw) as s:
            return ssl.DER_cert_to_PEM_cert(s.getpeercert(binary_form=True))


def same_cert(pem_file):
    return ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(pem_file.read_text()))


def test_tls_frontend_and_client_state(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path, "dot.test")
    b, (host, port) = start_dot(start_ballast, [be], cert, key, lua=ECHO)
    c = StreamClient(host, port, tls_context=client_context(cert), server_hostname="dot.test")
    assert txt_of(c.ask(make_query("proto.echo.test.", "TXT"))) == "DNS over TLS"
    assert txt_of(c.ask(make_query("sni.echo.test.", "TXT"))) == "[dot.test]"
    c.close()
    udp_host, udp_port = b.listen[0]
    assert b.run_lua("return getBind(0):getType() .. '|' .. getBind(1):getType() .. '|' .. "
                     "getBind(0):toString() .. '|' .. getBind(2):getRequestedTLSProvider()") == \
        f"UDP|TCP|{udp_host}:{udp_port}|openssl"
    assert b.run_lua("return getTLSFrontendCount() .. ' ' .. getTLSFrontend(0):getAddressAndPort()") \
        == f"1 {host}:{port}"
    assert b.run_lua("local f = getTLSFrontend(0) f:rotateTicketsKey() f:rotateTicketsKey() "
                     "return getTLSContext(0):getTicketsKeysCount()") == "3"
    keys = tmp_path / "tickets.key"
    keys.write_bytes(os.urandom(80 * 2))
    assert b.run_lua(f'getTLSFrontend(0):loadTicketsKeys("{keys}") '
                     "return getTLSContext(0):getTicketsKeysCount()") == "2"
    assert peer_cert(host, port) == same_cert(cert)
    cert2, key2 = make_cert(tmp_path, "second.test")
    assert b.run_lua(f'getTLSFrontend(0):loadNewCertificatesAndKeys("{cert2}", "{key2}") return "ok"') == "ok"
    assert peer_cert(host, port) == same_cert(cert2)
    # a bad file: an error, and the certificate in use stays
    assert b.run_lua(f'return tostring(pcall(function() '
                     f'getTLSFrontend(0):loadNewCertificatesAndKeys("{tmp_path}/nope.crt", "{key2}") end))') \
        == "false"
    assert peer_cert(host, port) == same_cert(cert2)
    assert b.run_lua("getTLSFrontend(0):reloadCertificates() return 'ok'") == "ok"
    assert peer_cert(host, port) == same_cert(cert2)


def test_doh_frontend_tickets_keys(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path)
    b, _ = start_doh(start_ballast, [be], cert, key)
    keys = tmp_path / "tickets.key"
    keys.write_bytes(os.urandom(80 * 3))
    assert b.run_lua(f'getDOHFrontend(0):loadTicketsKeys("{keys}") return "done"') == "done"
    bad = tmp_path / "short.key"
    bad.write_bytes(b"x" * 10)
    assert b.run_lua(f'return tostring(pcall(function() getDOHFrontend(0):loadTicketsKeys("{bad}") end))') \
        == "false"


def test_packet_cache_purge_expired(start_ballast, backends, client):
    be = backends(ttl=3)
    b = start_ballast(servers=[be], lua='pc = newPacketCache(100)\ngetPool(""):setCache(pc)\n')
    c = client()
    for name in ["a.purge.test.", "b.purge.test.", "c.purge.test."]:
        assert a_addresses(ask(c, b, name)) == [be.answer]
    purged, entries = b.run_lua("return pc:purgeExpired(0) .. ' ' .. pc:getStats().entries").split()
    assert purged == "0" and int(entries) >= 3
    time.sleep(4.2)  # past the answers' 3 s TTL
    assert b.run_lua("return pc:purgeExpired(1) .. ' ' .. pc:getStats().entries") == \
        f"{int(entries) - 1} 1"
    assert b.run_lua("return pc:purgeExpired(0) .. ' ' .. pc:getStats().entries") == "1 0"
