# SPDX-License-Identifier: GPL-2.0-only
"""Smaller dnsdist 1.7 names (issue 20) through the binary: setDynBlocksPurgeInterval."""

import time

import harness
from rules_util import RUNTIME_COMMANDS_LUA, run_commands


def nmg_size(b):
    return b.fresh_counters()["dyn-block-nmg-size"]


def test_expired_dyn_blocks_purged_on_the_interval(start_ballast, backends):
    b = start_ballast(servers=[backends()], lua=RUNTIME_COMMANDS_LUA)
    a1, a2 = harness.ADDRESSES.next(), harness.ADDRESSES.next()
    # Interval 0: an expired block stays in the table (it matches nothing).
    run_commands(b, f'setDynBlocksPurgeInterval(0)\naddDynBlocks({{"{a1}"}}, "x", 1)\n')
    time.sleep(3.2)
    assert nmg_size(b) == 1
    # Interval 1: gone within a couple of maintenance ticks of expiring.
    run_commands(b, f'setDynBlocksPurgeInterval(1)\nclearDynBlocks()\n'
                    f'addDynBlocks({{"{a2}"}}, "y", 3)\n')
    assert nmg_size(b) == 1
    b.wait_counters(lambda s: s.get("dyn-block-nmg-size") == 0, timeout=6.0,
                    what="the expired block purged")


def test_top_bandwidth_and_ring_lock_retries(start_ballast, backends, client):
    from rules_util import ask
    b = start_ballast(servers=[backends()], lua=RUNTIME_COMMANDS_LUA + """
setRingBuffersLockRetries(2)
setRingBuffersSize(1000, 4)
""")
    heavy, light = client(harness.ADDRESSES.next()), client(harness.ADDRESSES.next())
    for i in range(4):
        assert ask(heavy, b, f"long-name-to-make-bytes-{i}.heavy.test.") is not None
    assert ask(light, b, "l.test.") is not None
    run_commands(b, 'setRingBuffersLockRetries(0)\nprint("TB-BEGIN")\ntopBandwidth(1)\n'
                    'print("TB-MID")\ntopBandwidth()\nprint("TB-END")\n')
    out = b.stdout().split("TB-BEGIN")[-1]
    top1 = out.split("TB-MID")[0].strip().splitlines()
    assert top1[0].split()[:2] == ["1", heavy.host] and top1[1].split()[1] == "Rest", top1
    rows = {r.split()[1]: int(r.split()[2])
            for r in out.split("TB-MID")[1].split("TB-END")[0].strip().splitlines()}
    # 4 queries and 4 responses of more than 50 bytes each, counted in both rings
    assert rows[heavy.host] > 8 * 50 and rows[heavy.host] > rows[light.host] > 0


def test_tls_contexts_and_error_counters(start_ballast, tcp_backend, tmp_path):
    import socket
    import ssl

    from test_dot import make_cert
    cert, key = make_cert(tmp_path, "ballast.test")
    hosts = [harness.ADDRESSES.next() for _ in range(2)]
    ports = [harness.free_port(h) for h in hosts]
    b = start_ballast([tcp_backend()], lua=RUNTIME_COMMANDS_LUA + f"""
addTLSLocal("{hosts[0]}:{ports[0]}", "{cert}", "{key}", {{minTLSVersion="tls1.3",
            ticketsKeysRotationDelay=3600, numberOfTicketsKeys=4}})
addTLSLocal("{hosts[1]}:{ports[1]}", "{cert}", "{key}",
            {{ciphers="ECDHE-ECDSA-AES256-GCM-SHA384"}})
""")

    def handshake(i, ciphers=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        if ciphers:
            ctx.set_ciphers(ciphers)
        with socket.create_connection((hosts[i], ports[i]), timeout=3) as raw:
            try:
                with ctx.wrap_socket(raw):
                    return True
            except (ssl.SSLError, ConnectionResetError):
                return False

    assert not handshake(0)  # TLS 1.2 to a TLS 1.3 only bind
    assert not handshake(1, "ECDHE-ECDSA-CHACHA20-POLY1305")
    assert not handshake(1, "ECDHE-ECDSA-CHACHA20-POLY1305")
    assert handshake(1)
    before = int(time.time())
    run_commands(b, 'print("TLS-BEGIN")\nshowTLSContexts()\nprint("TLS-MID")\n'
                    'showTLSErrorCounters()\nprint("TLS-END")\n')
    out = b.stdout().split("TLS-BEGIN")[-1]
    ctxs = out.split("TLS-MID")[0].strip().splitlines()
    assert ctxs[0].split()[:2] == ["#", "Address"], ctxs
    first = ctxs[1].split()
    assert first[:4] == ["0", f"{hosts[0]}:{ports[0]}", "1", "3600"], ctxs
    assert before + 3500 < int(first[4]) <= before + 3601
    counters = out.split("TLS-MID")[1].split("TLS-END")[0].strip().splitlines()
    assert "No shared cipher" in counters[0] and "Unsupported protocol" in counters[0]
    # columns: #, address, dh, fallback, no shared cipher, cipher type, kx type, unknown
    # protocol, EC, unsupported protocol
    assert counters[1].split() == ["0", f"{hosts[0]}:{ports[0]}"] + ["0"] * 7 + ["1"], counters
    assert counters[2].split() == ["1", f"{hosts[1]}:{ports[1]}", "0", "0", "2"] + ["0"] * 5


def test_test_crypto(start_ballast, backends):
    import base64
    import os
    key = base64.b64encode(os.urandom(32)).decode()
    b = start_ballast(servers=[backends()], lua=RUNTIME_COMMANDS_LUA)
    run_commands(b, 'print("TC-A")\ntestCrypto()\n'
                    f'setKey("{key}")\nprint("TC-B")\ntestCrypto()\ntestCrypto("other")\n'
                    'print("TC-END")\n')
    out = b.stdout().split("TC-A")[-1]
    assert out.split("TC-B")[0].strip().startswith("Crypto failed: no console key")
    assert out.split("TC-B")[1].split("TC-END")[0].split() == ["Everything", "is", "ok!"] * 2


def test_add_xpf_carries_client_and_frontend(start_ballast, backends, client):
    import ipaddress
    import struct

    from rules_util import ask
    with_xpf, plain = backends(), backends()
    b = start_ballast(servers=[with_xpf, plain], server_opts=[{"addXPF": 65422, "pool": "x"}, {}],
                      lua='addAction("x.test.", PoolAction("x"))\n')
    c = client(harness.ADDRESSES.next())
    assert ask(c, b, "x.test.").rcode() == 0
    assert ask(c, b, "y.test.").rcode() == 0
    got = with_xpf.queries[-1].msg
    xpf = [r for r in got.additional if r.rdtype == 65422]
    assert len(xpf) == 1 and xpf[0].name.to_text() == "." and xpf[0].ttl == 0
    data = xpf[0][0].data
    host, port = b.listen[0]
    assert data == (bytes([4, 17]) + ipaddress.ip_address(c.host).packed +
                    ipaddress.ip_address(host).packed + struct.pack("!HH", c.port, port))
    assert not [r for r in plain.queries[-1].msg.additional if r.rdtype == 65422]


def test_client_state_muted(start_ballast, tcp_backend, client):
    import dns.query

    from fakedns import make_query
    from rules_util import ask
    be = tcp_backend()
    b = start_ballast(servers=[be], lua=RUNTIME_COMMANDS_LUA)
    c = client(harness.ADDRESSES.next())
    assert ask(c, b, "before.test.").rcode() == 0
    run_commands(b, 'getBind(0).muted = true\ngetBind(1).muted = true\n'
                    'print("MUTED " .. tostring(getBind(0).muted) .. " "'
                    ' .. tostring(getBind(1).muted))\n')
    assert "MUTED true false" in b.stdout()
    n = be.count
    assert ask(c, b, "muted.test.", timeout=0.5) is None
    assert be.wait_count(n + 1)  # processed and forwarded, never answered
    host, port = b.listen[0]
    assert dns.query.tcp(make_query("tcp.test."), host, port=port, timeout=3).rcode() == 0
    run_commands(b, "getBind(0).muted = false\n")
    assert ask(c, b, "after.test.").rcode() == 0


def test_mac_addr_action_adds_nothing_without_a_neighbour(start_ballast, backends, client):
    from rules_util import ask
    be = backends()
    b = start_ballast(servers=[be], lua=RUNTIME_COMMANDS_LUA + """
addAction(AllRule(), SetMacAddrAction(65005))
addAction(AllRule(), MacAddrAction(65006))
""")
    c = client(harness.ADDRESSES.next())
    assert ask(c, b, "plain.test.").rcode() == 0
    assert ask(c, b, "edns.test.", payload=1232).rcode() == 0
    for q in be.queries[-2:]:
        # Loopback clients are in no neighbour table: the query goes on unchanged.
        assert not any(o.otype in (65005, 65006) for o in q.msg.options)
    assert be.queries[-2].msg.edns == -1
    run_commands(b, 'print("RULES-BEGIN")\nshowRules()\nprint("RULES-END")\n')
    rules = b.stdout().split("RULES-BEGIN")[-1].split("RULES-END")[0]
    assert "add EDNS MAC (code=65005)" in rules and "add EDNS MAC (code=65006)" in rules
