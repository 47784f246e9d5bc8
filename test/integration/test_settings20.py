# SPDX-License-Identifier: GPL-2.0-only
"""Settings and inspection functions of issue 20: inConfigCheck, inClientStartup,
setSecurityPollInterval, setUDPSocketBufferSize (the docs' name), showResponseLatency and
showWebserverConfig."""

import re

import harness
from fakedns import make_query
from rules_util import RUNTIME_COMMANDS_LUA, ask, run_commands


def test_in_config_check_and_in_client_startup(tmp_path):
    path = tmp_path / "modes.conf"
    path.write_text('setLocal("127.0.0.1:5300")\n'
                    'if inConfigCheck() then print("CHECKING") end\n'
                    'if inClientStartup() then error("IN-CLIENT-STARTUP") end\n')
    res = harness.run_binary(["-C", str(path), "--check-config"])
    assert res.returncode == 0 and "CHECKING" in res.stdout, res.stdout + res.stderr
    res = harness.run_binary(["-C", str(path), "-c"])
    assert res.returncode != 0 and "IN-CLIENT-STARTUP" in res.stdout + res.stderr
    assert "CHECKING" not in res.stdout


def test_security_poll_interval_and_buffer_size(start_ballast, backends, client):
    b = start_ballast(servers=[backends()], lua=(
        'setSecurityPollSuffix("")\nsetSecurityPollInterval(3600)\n'
        'setUDPSocketBufferSize(1048576, 1048576)\n'
        'if inConfigCheck() or inClientStartup() then error("wrong mode") end\n'))
    assert client().ask(make_query("a.test."), b.listen[0]) is not None


def test_show_response_latency_and_webserver_config(start_ballast, backends, client):
    b = start_ballast(servers=[backends()], lua=RUNTIME_COMMANDS_LUA + (
        'setWebserverConfig({password="secret", customHeaders={["X-Test"]="yes"}})\n'))
    c = client()
    for i in range(4):
        assert ask(c, b, f"l{i}.test.") is not None
    run_commands(b, 'print("OUT-BEGIN")\nshowResponseLatency()\nshowWebserverConfig()\nprint("OUT-END")\n')
    out = b.stdout().split("OUT-BEGIN")[-1].split("OUT-END")[0]
    assert "Average response latency:" in out, out
    counts = [int(m.group(1)) for m in re.finditer(r"(?:<|>=) \d+ ms\s+(\d+)\s+[\d.]+%", out)]
    assert len(counts) == 6 and sum(counts) >= 4, out  # the harness's readiness query too
    assert "Password: set" in out and "API key: unset" in out and " - X-Test: yes" in out, out
    assert "ACL: 127.0.0.1/8" in out or "ACL: 127.0.0.0/8" in out, out
