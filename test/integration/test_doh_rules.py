# SPDX-License-Identifier: GPL-2.0-only
"""DNS over HTTPS and the rules: HTTPPathRule, HTTPPathRegexRule, HTTPHeaderRule (with
keepIncomingHeaders), HTTPStatusAction; the responses map (newDOHResponseMapEntry,
setResponsesMap) at start-up and swapped at run time; DoH not counted in tcp-queries."""

import threading

import dns.message
import dns.query
import dns.rdatatype

import harness
from fakedns import a_addresses, make_query
from test_doh import Curl, H2Client, b64, make_cert, start_doh, wait_stats


def get_path(curl, path, name, **kw):
    return curl(f"{path}?dns=" + b64(make_query(name).to_wire()), **kw)


RULES = '''
addAction(HTTPPathRule("/teapot"), HTTPStatusAction(418, "short and stout", "text/plain"))
addAction(HTTPPathRegexRule("^/moved/[0-9]+$"), HTTPStatusAction(302, "https://example.net/new"))
addAction(HTTPHeaderRule("X-Secret", "^open"), SpoofAction("192.0.2.99"))
addAction(AndRule({HTTPPathRule("/hello"), QTypeRule(DNSQType.TXT)}),
          HTTPStatusAction(200, "hello", "text/plain", {ra=false}))
addAction(QNameRule("both.test."), HTTPStatusAction(403, "not over HTTP"))
'''


def test_http_selectors_and_status_action(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path)
    b, (host, port) = start_doh(start_ballast, [be], cert, key,
                                urls=["/dns-query", "/teapot", "/moved", "/hello"],
                                options="keepIncomingHeaders=true, exactPathMatching=false",
                                lua=RULES)
    curl = Curl(host, port, cert, tmp_path)
    status, headers, body = get_path(curl, "/teapot", "t.test.")
    assert (status, body) == (418, b"short and stout")
    assert headers["content-type"].startswith("text/plain")
    status, headers, body = get_path(curl, "/moved/12", "m.test.")
    assert status == 302 and headers["location"] == "https://example.net/new"
    assert b"https://example.net/new" in body and headers["content-type"].startswith("text/html")
    assert get_path(curl, "/moved/12x", "m.test.")[0] == 200, "the regex is not matched"

    status, _, body = get_path(curl, "/dns-query", "h.test.", headers=["X-Secret: opened"])
    assert status == 200 and a_addresses(dns.message.from_wire(body)) == ["192.0.2.99"]
    status, _, body = get_path(curl, "/dns-query", "h.test.", headers=["X-Secret: closed"])
    assert status == 200 and a_addresses(dns.message.from_wire(body)) == [be.host]

    txt = make_query("x.test.", "TXT")
    status, headers, body = curl("/hello?dns=" + b64(txt.to_wire()))
    assert (status, body, headers["content-type"]) == (200, b"hello", "text/plain")
    assert get_path(curl, "/hello", "x.test.")[0] == 200  # an A query: forwarded

    # A query that is not DoH goes on past HTTPStatusAction to the backend, as in dnsdist.
    q = make_query("both.test.")
    r = dns.query.udp(q, b.listen[0][0], port=b.listen[0][1], timeout=3)
    assert a_addresses(r) == [be.host]
    assert get_path(curl, "/dns-query", "both.test.")[0] == 403
    s = wait_stats(b, {"redirect-responses": 1, "403": 1})
    assert s["redirect-responses"] == 1 and s["403"] == 1 and s["other"] >= 1
    assert be.tcp.count == 3, "HTTP answers never reach the backend"


def test_header_rule_needs_keep_incoming_headers(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    b, (host, port) = start_doh(start_ballast, [be],
                                lua='addAction(HTTPHeaderRule("x-secret", "."), DropAction())')
    curl = Curl(host, port, None, tmp_path)
    status, _, body = get_path(curl, "/dns-query", "k.test.", headers=["X-Secret: yes"])
    assert status == 200, "headers are not kept by default (dnsdist 1.8 and later)"


MAP = '''
getDOHFrontend(0):setResponsesMap({
  newDOHResponseMapEntry("^/dns-query/static$", 200, "static content",
                         {["Content-Type"]="text/plain", ["X-Map"]="1"}),
  newDOHResponseMapEntry("^/dns-query/old", 301, "https://example.org/"),
  newDOHResponseMapEntry("^/dns-query/gone", 410, "gone for good"),
})
'''


def test_responses_map_answers_without_dns_and_swaps(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path)
    b, (host, port) = start_doh(start_ballast, [be], cert, key,
                                options='exactPathMatching=false, '
                                        'customResponseHeaders={["X-Bind"]="b"}',
                                lua=MAP)
    curl = Curl(host, port, cert, tmp_path)
    status, headers, body = curl("/dns-query/static")
    assert (status, body) == (200, b"static content")
    assert headers["content-type"] == "text/plain" and headers["x-map"] == "1"
    assert "x-bind" not in headers, "an entry's headers replace the bind's"
    status, headers, _ = curl("/dns-query/old/page")
    assert status == 301 and headers["location"] == "https://example.org/"
    status, headers, body = curl("/dns-query/gone", "POST", b"whatever")
    assert (status, body) == (410, b"gone for good") and headers["x-bind"] == "b"
    assert curl("/elsewhere/static")[0] == 404, "only the bind's URLs reach the map"
    status, _, body = get_path(curl, "/dns-query", "map.test.")
    assert status == 200 and a_addresses(dns.message.from_wire(body)) == [be.host]
    assert be.tcp.count == 1

    # Swapped at run time (console): the same connection pool sees the new map.
    b.run_lua('getDOHFrontend(0):setResponsesMap({newDOHResponseMapEntry("^/dns-query$", 503, '
              '"maintenance")}) return "ok"')
    status, _, body = get_path(curl, "/dns-query", "map.test.")
    assert (status, body) == (503, b"maintenance")
    assert curl("/dns-query/static")[0] == 400, "the old entries are gone"
    b.run_lua("getDOHFrontend(0):setResponsesMap({}) return 'ok'")
    assert get_path(curl, "/dns-query", "map.test.")[0] == 200
    assert be.tcp.count == 2


def test_responses_map_swaps_whole_under_load(start_ballast, tcp_backend, tmp_path):
    """Requests racing thousands of swaps between two maps see one map or the other."""
    be = tcp_backend()
    lua = ('one = {newDOHResponseMapEntry("^/dns-query$", 503, "one"), '
           'newDOHResponseMapEntry(".", 500, "one-second")}\n'
           'two = {newDOHResponseMapEntry("^/dns-query$", 504, "two"), '
           'newDOHResponseMapEntry(".", 500, "two-second")}\n'
           'getDOHFrontend(0):setResponsesMap(one)\n')
    b, (host, port) = start_doh(start_ballast, [be], lua=lua)
    stop = threading.Event()

    def swap():
        while not stop.is_set():
            b.run_lua("local f = getDOHFrontend(0) for i = 1, 20000 do "
                      "f:setResponsesMap(i % 2 == 0 and one or two) end return 'ok'", timeout=10)

    t = threading.Thread(target=swap)
    t.start()
    seen = {}
    try:
        c = H2Client(host, port)
        for _ in range(30):
            for _ in range(20):
                c.get(make_query("race.test.").to_wire())
            for answer in c.responses(20).values():
                seen[answer] = seen.get(answer, 0) + 1
        c.close()
    finally:
        stop.set()
        t.join()
    assert set(seen) <= {(b"503", b"one"), (b"504", b"two")}, seen
    assert sum(seen.values()) == 600
    assert be.tcp.count == 0


def test_bad_response_map_entries_fail_with_the_line(ballast_binary, tmp_path):
    for bad, reason in [('newDOHResponseMapEntry("(", 200, "x")', "regular expression"),
                        ('newDOHResponseMapEntry("^/", 99, "x")', "HTTP status"),
                        ('newDOHResponseMapEntry("^/", 302, "http://a\\r\\nb")', "control"),
                        ('HTTPStatusAction(700, "x")', "HTTP status"),
                        ('HTTPHeaderRule("x-a", "(")', "regular expression"),
                        ('getDOHFrontend(0):setResponsesMap({1})', "DOHResponseMapEntry")]:
        cfg = tmp_path / "bad.conf"
        cfg.write_text('addDOHLocal("127.0.0.1:1")\n' + bad + "\n")
        out = harness.run_binary(["-C", str(cfg), "--check-config"])
        text = out.stdout + out.stderr
        assert out.returncode == 1, text
        assert f"{cfg}:2" in text and reason in text, (bad, text)


def test_doh_queries_are_not_tcp_queries(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    b, (host, port) = start_doh(start_ballast, [be])
    base = b.fresh_counters()
    curl = Curl(host, port, None, tmp_path)
    for i in range(3):
        assert get_path(curl, "/dns-query", f"n{i}.count.test.")[0] == 200
    r = dns.query.tcp(make_query("tcp.count.test."), b.listen[0][0], port=b.listen[0][1],
                      timeout=3)
    assert a_addresses(r) == [be.host]
    snap, deltas = b.wait_deltas(base, {"queries": 4, "tcp-queries": 1})
    assert deltas == {"queries": 4, "tcp-queries": 1}
    assert snap["tcp-connections"] - base["tcp-connections"] == 1
    s = wait_stats(b, {"http2-queries": 3})
    assert s["http2-queries"] == 3 and s["valid-responses"] == 3


def test_sni_rule_over_doh(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path)
    lua = ('addAction(AndRule({QNameRule("sni.test."), SNIRule("DoH.test")}), SpoofAction("192.0.2.55"))\n'
           'addAction(AndRule({QNameRule("sni2.test."), SNIRule("other.test")}), SpoofAction("192.0.2.56"))\n')
    b, (host, port) = start_doh(start_ballast, [be], cert, key, lua=lua)
    curl = Curl(host, port, cert, tmp_path)  # connects to doh.test: curl sends it as SNI
    status, _, body = get_path(curl, "/dns-query", "sni.test.")
    assert status == 200 and a_addresses(dns.message.from_wire(body)) == ["192.0.2.55"]
    status, _, body = get_path(curl, "/dns-query", "sni2.test.")
    assert status == 200 and a_addresses(dns.message.from_wire(body)) == [be.host]
    # Over UDP there is no SNI: the rule does not match.
    r = dns.query.udp(make_query("sni.test."), b.listen[0][0], port=b.listen[0][1], timeout=3)
    assert a_addresses(r) == [be.host]
