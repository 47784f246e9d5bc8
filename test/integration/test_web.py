# SPDX-License-Identifier: GPL-2.0-only
"""The web server: authentication, ACL, the JSON API field by field, limits."""

import http.client
import json
import socket

import dns.query

import harness
from fakedns import make_query, wait_until
from webtest import (API_KEY, PASSWORD, get_json, new_web_address, request, wait_web,
                     web_lua)

API = "/api/v1/servers/localhost"


def start(start_ballast, servers=(), config="", writable=False, lua="", **kw):
    web = new_web_address()
    b = start_ballast(servers=servers, lua=web_lua(web, config, writable) + lua, **kw)
    wait_web(web)
    return b, web


def test_api_needs_the_key_and_reveals_nothing(start_ballast, backends):
    _, web = start(start_ballast, servers=[backends()])
    for path in (API, API + "/statistics", API + "/config", "/jsonstat?command=stats",
                 "/metrics", API + "/pool?name="):
        for key in (None, "wrong", API_KEY[:-1], API_KEY + "x"):
            status, _, body = request(web, path, key=key)
            assert status == 401, (path, key)
            assert body == b"Unauthorized\n", (path, key, body)
        assert request(web, path, key=API_KEY)[0] == 200, path
        assert request(web, path, password="nope")[0] == 401, path
        # dnsdist's table: the dashboard password opens the statistics and the server
        # overview; the rest of /api/ takes the API key only.
        key_only = path.startswith(API + "/")
        assert request(web, path, password=PASSWORD)[0] == (401 if key_only else 200), path


def test_dashboard_needs_the_password(start_ballast, backends):
    _, web = start(start_ballast, servers=[backends()])
    status, headers, body = request(web, "/")
    assert status == 401
    assert headers.get("www-authenticate", "").startswith("Basic ")
    assert b"ballast" not in body
    assert request(web, "/", key=API_KEY)[0] == 401  # the key is for the API only
    assert request(web, "/", password="wrong")[0] == 401
    status, headers, body = request(web, "/", password=PASSWORD)
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b"<canvas" in body
    status, headers, body = request(web, "/dashboard.js", password=PASSWORD)
    assert status == 200 and b"jsonstat" in body
    assert request(web, "/missing.txt", password=PASSWORD)[0] == 404
    assert request(web, "/missing.txt")[0] == 401  # not even its absence without the password


def test_authentication_can_be_turned_off(start_ballast, backends):
    _, web = start(start_ballast, servers=[backends()],
                   config="statsRequireAuthentication=false, apiRequiresAuthentication=false, "
                          "dashboardRequiresAuthentication=false")
    assert request(web, "/metrics")[0] == 200
    assert request(web, API)[0] == 200
    assert request(web, "/")[0] == 200


def test_web_acl_refuses_other_sources(start_ballast, backends, new_addr):
    allowed, other = new_addr(), new_addr()
    _, web = start(start_ballast, servers=[backends()], config=f'acl="{allowed}/32"')
    assert request(web, API, key=API_KEY, source=allowed)[0] == 200
    # Refused with no answer at all (dnsdist closes such connections).
    s = socket.create_connection(web, timeout=3, source_address=(other, 0))
    try:
        s.sendall(f"GET {API} HTTP/1.1\r\nHost: x\r\nX-API-Key: {API_KEY}\r\n\r\n".encode())
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            data = b""
        assert data == b""
    finally:
        s.close()
    # The server is none the worse.
    assert request(web, API, key=API_KEY, source=allowed)[0] == 200


def test_default_acl_is_loopback_only(start_ballast, backends):
    _, web = start(start_ballast, servers=[backends()])
    # Every 127/8 source is loopback, so allowed; the ACL's content is what we can check.
    status, _, _ = request(web, API, key=API_KEY, source=harness.ADDRESSES.next())
    assert status == 200


def test_hashed_credentials(start_ballast, backends):
    web = new_web_address()
    lua = (f'webserver("{web[0]}:{web[1]}")\n'
           f'setWebserverConfig{{password=hashPassword("{PASSWORD}"), '
           f'apiKey=hashPassword("{API_KEY}", 16)}}\n')
    start_ballast(servers=[backends()], lua=lua)
    wait_web(web)
    assert request(web, API, key=API_KEY)[0] == 200
    assert request(web, API, key="$scrypt$ln=4,p=1,r=8$AAAA$AAAA")[0] == 401
    assert request(web, "/", password=PASSWORD)[0] == 200
    assert request(web, "/", password=PASSWORD + "x")[0] == 401


def test_plaintext_hashed_on_request(start_ballast, backends):
    _, web = start(start_ballast, servers=[backends()],
                   config="hashPlaintextCredentials=true")
    assert request(web, API, key=API_KEY)[0] == 200
    assert request(web, API, key="other")[0] == 401


def test_server_info_fields(start_ballast, backends, client):
    be1, be2 = backends(), backends()
    b, web = start(start_ballast, servers=[be1, be2],
                   server_opts=[{"order": 1, "weight": 3}, {"order": 2, "pool": "other"}],
                   lua='setServerPolicy(firstAvailable)\n')
    before = get_json(web, API)["servers"][0]  # the harness's readiness probe went there
    c = client()
    for i in range(6):
        assert c.ask(make_query(f"api-{i}.test.", qid=i), b.listen[0]) is not None
    b.fresh_counters()
    info = get_json(web, API)
    assert info["daemon_type"] == "dnsdist"
    assert info["id"] == "localhost"
    assert info["type"] == "Server"
    assert info["server_policy"] == "firstAvailable"
    assert "127.0.0.0/8" in info["acl"]
    for key in ("rules", "response-rules", "cache-hit-response-rules",
                "self-answered-response-rules"):
        assert info[key] == []
    s1, s2 = info["servers"]
    assert s1["id"] == 0 and s1["name"] == "b1" and s1["address"] == be1.address
    assert s1["state"] == "up"
    assert s1["order"] == 1 and s1["weight"] == 3
    assert s1["queries"] - before["queries"] == 6
    assert s1["responses"] - before["responses"] == 6 and s1["drops"] == 0
    assert s1["sendErrors"] == 0 and s1["outstanding"] == 0
    assert s1["latency"] > 0
    assert s1["pools"] == []
    assert s2["name"] == "b2" and s2["queries"] == 0 and s2["pools"] == ["other"]
    for field in ("qps", "qpsLimit", "reuseds", "dropRate"):
        assert isinstance(s1[field], (int, float)), field
    # As dnsdist: an addLocal bind is two frontends, its UDP and its TCP socket.
    fe, tcp_fe = info["frontends"]
    assert fe["address"] == harness.hostport(*b.listen[0])
    assert fe["type"] == "UDP" and fe["udp"] is True and fe["tcp"] is False
    assert tcp_fe["address"] == fe["address"] and tcp_fe["id"] == 1
    assert tcp_fe["type"] == "TCP" and tcp_fe["udp"] is False and tcp_fe["tcp"] is True
    pools = {p["name"]: p for p in info["pools"]}
    assert pools[""]["serversCount"] == 1 and pools["other"]["serversCount"] == 1
    assert pools[""]["upServersCount"] == 1


def test_down_backend_state(start_ballast, backends):
    be1, be2 = backends(), backends()
    b, web = start(start_ballast, servers=[be1, be2], lua="getServer(1):setDown()\n")
    be1.stop()
    assert wait_until(lambda: get_json(web, API)["servers"][0]["state"] == "down", timeout=6)
    assert get_json(web, API)["servers"][1]["state"] == "DOWN"
    pool = get_json(web, API)["pools"][0]
    assert pool["serversCount"] == 2 and pool["upServersCount"] == 0


def test_statistics_and_jsonstat_match_the_counters(start_ballast, backends, client):
    b, web = start(start_ballast, servers=[backends()])
    c = client()
    for i in range(4):
        assert c.ask(make_query(f"stat-{i}.test.", qid=i), b.listen[0]) is not None
    snap = b.fresh_counters()
    stats = get_json(web, API + "/statistics")
    by_name = {s["name"]: s for s in stats}
    assert all(s["type"] == "StatisticItem" for s in stats)
    counter_names = {k for k in snap if not k.startswith("__")}
    assert set(by_name) == counter_names
    flat = get_json(web, "/jsonstat?command=stats")
    assert set(flat) == counter_names
    for name in ("queries", "responses", "rdqueries", "frontend-noerror", "latency0-1"):
        assert by_name[name]["value"] == snap[name] == flat[name], name
    assert request(web, "/jsonstat?command=nothing", key=API_KEY)[0] == 404


def test_config_endpoint(start_ballast, backends):
    _, web = start(start_ballast, servers=[backends()], lua="setUDPTimeout(3)\ntruncateTC(true)\n")
    items = get_json(web, API + "/config")
    assert all(i["type"] == "ConfigSetting" for i in items)
    by_name = {i["name"]: i["value"] for i in items}
    assert by_name["server-policy"] == "leastOutstanding"
    assert by_name["truncate-tc"] is True
    assert by_name["fixup-case"] is False
    assert by_name["udp-timeout"] == 3
    assert by_name["api-read-write"] is False
    assert "127.0.0.0/8" in by_name["acl"]


def test_allow_from_get_and_put(start_ballast, backends, client, new_addr):
    be = backends()
    b, web = start(start_ballast, servers=[be], writable=True)
    doc = get_json(web, API + "/config/allow-from")
    assert doc["name"] == "allow-from" and doc["type"] == "ConfigSetting"
    assert "127.0.0.0/8" in doc["value"]
    inside, outside = new_addr(), new_addr()
    body = json.dumps({"value": [f"{inside}/32", "192.0.2.0/24"]})
    status, _, data = request(web, API + "/config/allow-from", method="PUT", key=API_KEY, body=body)
    assert status == 200, data
    assert json.loads(data)["value"] == [f"{inside}/32", "192.0.2.0/24"]
    assert get_json(web, API + "/config/allow-from")["value"] == [f"{inside}/32", "192.0.2.0/24"]
    base = b.fresh_counters()
    assert client(inside).ask(make_query("acl-in.test."), b.listen[0]) is not None
    assert client(outside).ask(make_query("acl-out.test."), b.listen[0], timeout=0.5) is None
    b.wait_deltas(base, {"acl-drops": 1, "queries": 2})
    # A bad body changes nothing.
    for bad in ('{"value": ["not-a-mask"]}', "{", '{"value": "x"}', "[]"):
        status, _, _ = request(web, API + "/config/allow-from", method="PUT", key=API_KEY, body=bad)
        assert status == 400, bad
    assert get_json(web, API + "/config/allow-from")["value"] == [f"{inside}/32", "192.0.2.0/24"]
    # Unauthenticated PUT: 401, nothing changed.
    assert request(web, API + "/config/allow-from", method="PUT", body=body)[0] == 401


def test_allow_from_read_only_by_default(start_ballast, backends):
    _, web = start(start_ballast, servers=[backends()])
    body = json.dumps({"value": ["192.0.2.0/24"]})
    status, _, _ = request(web, API + "/config/allow-from", method="PUT", key=API_KEY, body=body)
    assert status == 405
    assert "192.0.2.0/24" not in get_json(web, API + "/config/allow-from")["value"]


def test_pool_endpoint(start_ballast, backends):
    be1, be2, be3 = backends(), backends(), backends()
    _, web = start(start_ballast, servers=[be1, be2, be3],
                   server_opts=[{"pool": "abc"}, {}, {"pool": ["abc", "def"]}],
                   lua='setPoolServerPolicy(roundrobin, "abc")\n')
    doc = get_json(web, API + "/pool?name=abc")
    assert doc["stats"]["name"] == "abc"
    assert doc["stats"]["serversCount"] == 2
    assert doc["stats"]["serverPolicy"] == "roundrobin"
    assert [s["name"] for s in doc["servers"]] == ["b1", "b3"]
    assert [s["id"] for s in doc["servers"]] == [0, 2]
    default = get_json(web, API + "/pool?name=")
    assert [s["name"] for s in default["servers"]] == ["b2"]
    assert request(web, API + "/pool?name=zzz", key=API_KEY)[0] == 404
    assert request(web, API + "/pool", key=API_KEY)[0] == 400


def test_pool_cache_figures_and_rules_in_the_api(start_ballast, backends, client):
    be = backends()
    b, web = start(start_ballast, servers=[be], lua=(
        'pc = newPacketCache(500)\ngetPool(""):setCache(pc)\n'
        'addAction(QNameRule("nope.test."), DropAction(), {name="no-nope"})\n'))
    c = client()
    for _ in range(3):
        assert c.ask(make_query("api-cache.test."), b.listen[0]) is not None
    front = get_json(web, API)["frontends"][0]
    assert front["type"] == "UDP" and front["queries"] >= 3 and front["responses"] >= 2, front
    pool = get_json(web, API + "/pool?name=")["stats"]
    assert pool["cacheSize"] == 500
    assert pool["cacheHits"] >= 2 and pool["cacheMisses"] >= 1 and pool["cacheEntries"] >= 1
    info = get_json(web, API)
    rules = info["rules"]
    assert [r["name"] for r in rules] == ["no-nope"]
    assert "nope.test." in rules[0]["rule"] and "drop" in rules[0]["action"].lower()
    assert info["response-rules"] == []


def test_custom_headers(start_ballast, backends):
    _, web = start(start_ballast, servers=[backends()],
                   config='customHeaders={["X-Custom"]="yes", ["X-Frame-Options"]="sameorigin"}')
    _, headers, _ = request(web, API, key=API_KEY)
    assert headers["x-custom"] == "yes"
    assert headers["x-frame-options"] == "sameorigin"
    assert headers["x-content-type-options"] == "nosniff"


def test_lua_web_handler(start_ballast, backends):
    lua = """
registerWebHandler("/custom", function(req, resp)
  resp.status = 202
  resp.body = req.method .. " " .. req.path .. " " .. (req.getvars["x"] or "-") .. " " .. req.body
  resp.headers = {["X-Handler"] = "lua", ["Content-Type"] = "text/plain"}
end)
registerWebHandler("/broken", function(req, resp) error("boom") end)
"""
    _, web = start(start_ballast, servers=[backends()], lua=lua)
    status, headers, body = request(web, "/custom?x=1", method="POST", key=API_KEY, body="data")
    assert (status, body) == (202, b"POST /custom 1 data")
    assert headers["x-handler"] == "lua" and headers["content-type"] == "text/plain"
    assert request(web, "/custom")[0] == 401
    assert request(web, "/broken", key=API_KEY)[0] == 500


def test_request_limits(start_ballast, backends):
    _, web = start(start_ballast, servers=[backends()], writable=True,
                   config="maxConcurrentConnections=2")
    big = "x" * (100 * 1024)
    status, _, _ = request(web, API + "/config/allow-from", method="PUT", key=API_KEY, body=big)
    assert status == 413
    status, _, _ = request(web, API, key=API_KEY, headers={"X-Big": "y" * 20000})
    assert status in (400, 413, 431)
    conns = [http.client.HTTPConnection(web[0], web[1], timeout=5) for _ in range(3)]
    try:
        assert request(web, API, key=API_KEY, conn=conns[0])[0] == 200
        assert request(web, API, key=API_KEY, conn=conns[1])[0] == 200
        assert request(web, API, key=API_KEY, conn=conns[2])[0] == 503
    finally:
        for c in conns:
            c.close()
    # Once they are gone, new connections are served again.
    assert wait_until(lambda: request(web, API, key=API_KEY)[0] == 200, timeout=3)


def test_garbage_request_does_not_hurt(start_ballast, backends):
    _, web = start(start_ballast, servers=[backends()])
    for junk in (b"\x00\xff\x10garbage\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                 b"GET " + b"/a" * 5000 + b" HTTP/1.1\r\n\r\n", b"PUT"):
        s = socket.create_connection(web, timeout=3)
        s.sendall(junk)
        s.shutdown(socket.SHUT_WR)
        try:
            s.recv(4096)
        except OSError:
            pass
        s.close()
    # A pool name that is not UTF-8 (found by the fuzzer: it used to end the process).
    assert request(web, API + "/pool?name=%9F%FF", key=API_KEY)[0] == 404
    assert request(web, API, key=API_KEY)[0] == 200


def test_bad_web_config_fails_with_file_and_line(tmp_path):
    for line, reason in (('setWebserverConfig{passwrd="x"}', "unknown option 'passwrd'"),
                         ('setWebserverConfig{acl="300.0.0.1/8"}', "bad ACL entry"),
                         ('webserver("not an address")', "bad address"),
                         ('hashPassword("x", 1000)', "power of two"),
                         ('carbonServer("127.0.0.1:2003", "n", 0)', "interval")):
        conf = tmp_path / "bad.conf"
        conf.write_text('setLocal("127.0.0.1:5300")\n' + line + "\n")
        r = harness.run_binary(["--check-config", "-C", str(conf)])
        assert r.returncode != 0, line
        assert f"{conf}:2:" in r.stderr and reason in r.stderr, (line, r.stderr)


def test_web_port_in_use_fails_start(start_ballast, backends):
    host = harness.ADDRESSES.next()
    busy = socket.socket()
    busy.bind((host, 0))
    busy.listen()
    try:
        web = (host, busy.getsockname()[1])
        b = start_ballast(servers=[backends()], lua=web_lua(web), wait=False)
        b.expect_exit = True
        rc = b.wait_exit()
        assert rc != 0
        assert f"unable to bind to {host}:{web[1]}" in b.stderr()
    finally:
        busy.close()


def test_stats_and_overview_follow_their_own_switches(start_ballast, backends):
    """statsRequireAuthentication covers /jsonstat and /metrics; the overview is the
    dashboard's (dashboardRequiresAuthentication); the rest of the API keeps the key."""
    _, web = start(start_ballast, servers=[backends()], config="statsRequireAuthentication=false")
    assert request(web, "/jsonstat?command=stats")[0] == 200
    assert request(web, "/metrics")[0] == 200
    assert request(web, API)[0] == 401
    assert request(web, API + "/statistics")[0] == 401
    _, web = start(start_ballast, servers=[backends()],
                   config="dashboardRequiresAuthentication=false")
    assert request(web, API)[0] == 200
    assert request(web, API + "/statistics")[0] == 401
    assert request(web, "/jsonstat?command=stats")[0] == 401


def test_unknown_api_paths_are_404_behind_the_key(start_ballast, backends):
    _, web = start(start_ballast, servers=[backends()])
    assert request(web, "/api/v1/servers/other")[0] == 401
    status, _, body = request(web, "/api/v1/servers/other", key=API_KEY)
    assert status == 404 and b"error" in body
    assert request(web, "/api/v1/servers/localhost/nothing", key=API_KEY)[0] == 404


def test_overview_has_dnsdist_keys(start_ballast, backends):
    up, down = backends(), backends()
    b, web = start(start_ballast, servers=[up, down])
    # The second server is forced down: its latency is null, as in dnsdist.
    b.run_lua('getServer(1):setDown()\naddDynBlocks({"192.0.2.0/24"}, "too many", 60)')
    info = get_json(web, API)
    assert info["servers"][1]["state"] == "DOWN" and info["servers"][1]["latency"] is None
    assert info["servers"][0]["latency"] is not None
    assert isinstance(info["acl"], str) and "127.0.0.0/8" in info["acl"]
    assert info["local"] == ", ".join(sorted(f"{h}:{p}" for h, p in b.listen))
    stats = info["statistics"]
    for name in ("queries", "uptime", "real-memory-usage", "cpu-user-msec", "cpu-sys-msec",
                 "fd-usage", "udp-noport-errors", "udp6-in-errors", "tcp-listen-overflows",
                 "dyn-block-nmg-size", "cpu-iowait", "cpu-steal"):
        assert name in stats, name
    assert stats["real-memory-usage"] > 1_000_000 and stats["fd-usage"] > 3

    assert stats["dyn-block-nmg-size"] == 1


def test_jsonstat_dynblocklist(start_ballast, backends):
    b, web = start(start_ballast, servers=[backends()])
    assert get_json(web, "/jsonstat?command=dynblocklist") == {}
    b.run_lua('addDynBlocks({"192.0.2.0/24"}, "too many", 60, DNSAction.Refused)')
    got = get_json(web, "/jsonstat?command=dynblocklist")
    assert list(got) == ["192.0.2.0/24"]
    block = got["192.0.2.0/24"]
    assert block["reason"] == "too many" and 55 <= block["seconds"] <= 60
    assert block["blocks"] == 0 and block["action"] == "Refused"
    assert get_json(web, "/jsonstat?command=ebpfblocklist") == {}
    assert request(web, "/jsonstat?command=nothing", key=API_KEY)[0] == 404


def test_stream_frontends_and_server_tcp_figures(start_ballast, tcp_backend):
    """Every bind is listed with its TCP figures (dnsdist's keys and proto labels), and a
    server used over TCP shows its connection figures in the API and /metrics."""
    be = tcp_backend()
    b, web = start(start_ballast, servers=[be])
    host, port = b.listen[0]
    for i in range(3):
        r = dns.query.tcp(make_query(f"tcp-api-{i}.test.", qid=40 + i), host, port=port, timeout=3)
        assert r.id == 40 + i and r.answer
    info = get_json(web, API)
    tcp_fe = [f for f in info["frontends"] if f["type"] == "TCP"]
    assert len(tcp_fe) == 1, info["frontends"]
    fe = tcp_fe[0]
    assert fe["queries"] == 3 and fe["tcpNewConnections"] == 3, fe
    assert fe["tcpAvgQueriesPerConnection"] == 1.0 and fe["tcpCurrentConnections"] >= 0
    assert "tlsResumptions" not in fe  # plain TCP has no TLS figures
    [s] = info["servers"]
    assert s["tcpNewConnections"] >= 1 and s["tcpDiedReadingResponse"] == 0, s
    assert s["tcpNewConnections"] + s["tcpReusedConnections"] >= 3, s
    assert "tlsResumptions" in s and "tcpReadTimeouts" in s
    status, _, body = request(web, "/metrics", key=API_KEY)
    assert status == 200
    text = body.decode()
    label = f'frontend="{harness.hostport(host, port)}",proto="TCP",thread="0"'
    assert f"dnsdist_frontend_queries{{{label}}} 3" in text, text
    assert f"dnsdist_frontend_tcpnewconnections{{{label}}} 3" in text
    assert f'dnsdist_frontend_queries{{frontend="{harness.hostport(host, port)}",proto="UDP"' in text
    line = [l for l in text.splitlines() if l.startswith("dnsdist_server_tcpnewconnections{")]
    assert len(line) == 1 and float(line[0].split()[-1]) >= 1, line
