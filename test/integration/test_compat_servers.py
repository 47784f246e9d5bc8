# SPDX-License-Identifier: GPL-2.0-only
"""dnsdist 1.7's newServer options and Server attributes (issue 20), through the binary:
source, checkTCP, id with showServers{showUUIDs=true}, the TCP options, and
server.name/order/weight/upStatus, getLatency(), getDrops()."""

import time

from fakedns import a_addresses, make_query
from tcpdns import TcpSide

UUID = "0a1b2c3d-0000-4000-8000-00000000abcd"


def test_source_check_tcp_id_and_attributes(start_ballast, backends, client):
    be = backends()
    be.tcp = TcpSide(be)
    try:
        lua = (f'newServer{{address="{be.host}:{be.port}", name="s1", order=3, weight=7, '
               f'source="127.0.0.77", id="{UUID}", checkTCP=true, checkInterval=1, '
               f'retries=3, tcpConnectTimeout=2, tcpSendTimeout=2, tcpRecvTimeout=2, '
               f'maxInFlight=10, tcpFastOpen=true, ipBindAddrNoPort=true, reconnectOnUp=true}}\n'
               'local s = getServer(0)\n'
               'print("attrs " .. s.name .. " " .. s.order .. " " .. s.weight .. " " '
               '.. tostring(s.upStatus) .. " " .. s:getDrops() .. " " .. type(s:getLatency()))\n'
               'showServers({showUUIDs=true})\n')
        b = start_ballast([], lua=lua)
        assert "attrs s1 3 7 true 0 number" in b.stdout()
        assert UUID in b.stdout()
        r = client().ask(make_query("src.test."), b.listen[0])
        assert a_addresses(r) == [be.host]
        assert {q.src[0] for q in be.queries} == {"127.0.0.77"}, "UDP from the source address"
        deadline = time.monotonic() + 4
        while be.tcp.connections == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert be.tcp.connections > 0, "health checks over TCP (checkTCP)"
    finally:
        be.tcp.stop()


def test_bad_server_options_fail_start_up(ballast_binary, tmp_path):
    import harness
    for opt, text in [('id="nope"', "not a UUID"), ('source="@lo"', "source")]:
        cfg = tmp_path / "s.conf"
        cfg.write_text(f'newServer{{address="127.0.0.1:53", {opt}}}\n')
        out = harness.run_binary(["-C", str(cfg), "--check-config"])
        assert out.returncode != 0 and f"{cfg}:1" in out.stdout + out.stderr
        assert text in out.stdout + out.stderr


def test_combo_address_old_spellings(start_ballast, backends, client):
    be = backends()
    lua = ('function old(dq)\n'
           '  if dq.remoteaddr:tostring() == dq.remoteaddr:toString()\n'
           '     and dq.remoteaddr:tostringWithPort() == dq.remoteaddr:toStringWithPort() then\n'
           '    return DNSAction.Refused\n'
           '  end\n'
           '  return DNSAction.None\n'
           'end\n'
           'addAction("old.test.", LuaAction(old))\n')
    b = start_ballast([be], lua=lua)
    r = client().ask(make_query("old.test."), b.listen[0])
    assert r.rcode() == 5
