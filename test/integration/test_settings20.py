# SPDX-License-Identifier: GPL-2.0-only
"""Settings and inspection functions of issue 20: inConfigCheck, inClientStartup,
setSecurityPollInterval, setUDPSocketBufferSize (the docs' name), showResponseLatency and
showWebserverConfig."""

import re
import time

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


FAST = {"checkInterval": 1, "checkTimeout": 300, "maxCheckFailures": 100}


def failed_checks(start_ballast, backends, verbose, mode="normal", name="servfail-hc.test."):
    be = backends(mode=mode)
    b = start_ballast(servers=[be], server_opts=[dict(FAST, checkName=name)],
                      lua=f"setVerboseHealthChecks({'true' if verbose else 'false'})\n")
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline and len(be.queries) < 3:
        time.sleep(0.1)
    time.sleep(0.5)
    assert len(be.queries) >= 2, b.diagnostics()
    return b.stderr()


def test_verbose_health_checks_log_each_failure(start_ballast, backends):
    err = failed_checks(start_ballast, backends, True)
    assert "Invalid health check response from b1" in err and "rcode 2" in err, err
    err = failed_checks(start_ballast, backends, True, mode="silent", name="hc.test.")
    assert "Timeout while waiting for the health check response from b1" in err, err


def test_health_check_failures_quiet_by_default(start_ballast, backends):
    err = failed_checks(start_ballast, backends, False)
    assert "Invalid health check response" not in err, err


def test_udp_vector_size_one_takes_a_burst_one_by_one(start_ballast, backends, client):
    b = start_ballast(servers=[backends()], lua="setUDPMultipleMessagesVectorSize(1)\n")
    c = client()
    for i in range(20):
        c.send(make_query(f"burst{i}.test.", qid=i + 1), b.listen[0])
    got = c.recv_all(20, 5.0)
    assert len(got) == 20, f"{len(got)} answers"
    path_conf = b.workdir / "big.conf"
    path_conf.write_text('setLocal("127.0.0.1:5300")\nsetUDPMultipleMessagesVectorSize(128)\n')
    res = harness.run_binary(["-C", str(path_conf), "--check-config"])
    assert res.returncode == 0, res.stdout + res.stderr
