# SPDX-License-Identifier: GPL-2.0-only
"""newServer{checkFunction=fn}: a Lua function rewrites each health-check query.

fn(qname, qtype, qclass, dh) runs before every check; it may change the header
through dh and returns the qname (DNSName or string), qtype and qclass to ask.
A FakeBackend records queries under test. only, so the functions here ask
names under test. and the checks show up in ``be.queries``.
"""

import dns.flags
import dns.rdatatype

import harness
from fakedns import wait_until

SLACK = 3.0


def server_line(be, name, function, **opts):
    """newServer{...} with a raw Lua function for checkFunction (lua_value cannot say it)."""
    opts = {"name": name, "checkInterval": 1, "checkTimeout": 300, **opts}
    table = harness.lua_new_server(be, **opts)  # newServer({...})
    return table[:-2] + f", checkFunction={function}}})\n"


def checks(be, name):
    return [r for r in be.queries if r.msg.question[0].name.to_text().lower() == name]


def test_check_function_changes_question(start_ballast, backends):
    be = backends()
    fn = ('function(qname, qtype, qclass, dh)\n'
          '  return newDNSName("hc-fn." .. qname:toString()), DNSQType.AAAA, qclass\n'
          'end')
    b = start_ballast(lua=server_line(be, "b1", fn, checkName="check.test."))
    assert wait_until(lambda: len(checks(be, "hc-fn.check.test.")) >= 2, timeout=2 + SLACK), \
        f"no check with the rewritten name reached the backend{b.diagnostics()}"
    q = checks(be, "hc-fn.check.test.")[0].msg
    assert q.question[0].rdtype == dns.rdatatype.AAAA, q
    assert not q.flags & dns.flags.CD, "CD set without being asked for"
    assert q.flags & dns.flags.RD, "useRD's default (RD set) lost"
    # The answer echoes the rewritten question: it passes, the server stays up. (A second
    # check is only sent once the first is judged, so a failure would be logged by now.)
    assert "Marking downstream b1" not in b.stderr(), b.diagnostics()
    assert "health-check function" not in b.stderr(), b.diagnostics()
    b.wait_servers(lambda rows: rows["b1"]["State"] == "up", what="b1 up")


def test_check_function_sets_cd_and_returns_a_string(start_ballast, backends):
    be = backends()
    fn = ('function(qname, qtype, qclass, dh)\n'
          '  dh:setCD(true)\n'
          '  dh:setRD(false)\n'
          '  return "cd.test", qtype, qclass\n'
          'end')
    b = start_ballast(lua=server_line(be, "b1", fn))
    assert wait_until(lambda: len(checks(be, "cd.test.")) >= 2, timeout=2 + SLACK), \
        f"no check for cd.test. reached the backend{b.diagnostics()}"
    for r in checks(be, "cd.test."):
        assert r.msg.flags & dns.flags.CD, "CD set by the function missing from the check"
        assert not r.msg.flags & dns.flags.RD, "RD cleared by the function still set"
        assert r.msg.question[0].rdtype == dns.rdatatype.A
    assert "Marking downstream b1" not in b.stderr(), b.diagnostics()
    b.wait_servers(lambda rows: rows["b1"]["State"] == "up", what="b1 up")


def test_erroring_check_function_marks_server_down(start_ballast, backends, client):
    bad, good = backends(), backends()
    fn = 'function(qname, qtype, qclass, dh) error("checker-boom") end'
    lua = server_line(bad, "b1", fn) + harness.lua_new_server(good, name="b2") + "\n"
    b = start_ballast(lua=lua)
    b.wait_servers(lambda rows: rows["b1"]["State"] == "down", timeout=1 + SLACK,
                   what="b1 (its checkFunction fails) marked down")
    err = b.stderr()
    assert "checker-boom" in err and "Marking downstream b1" in err, b.diagnostics()
    assert b.servers()["b2"]["State"] == "up"


def test_bad_return_value_fails_the_check(start_ballast, backends):
    be = backends()
    fn = 'function(qname, qtype, qclass, dh) return 42, qtype, qclass end'
    b = start_ballast(lua=server_line(be, "b1", fn))
    b.wait_servers(lambda rows: rows["b1"]["State"] == "down", timeout=1 + SLACK,
                   what="b1 (its checkFunction returns a number as qname) marked down")
    assert "must be a DNSName or a string" in b.stderr(), b.diagnostics()


def test_check_function_not_a_function_fails_startup(ballast_binary, tmp_path):
    path = tmp_path / "bad.conf"
    path.write_text('setLocal("127.0.0.1:5399")\n'
                    'newServer{address="127.0.0.1:5398", checkFunction="nope"}\n')
    res = harness.run_binary(["-C", str(path), "--check-config"])
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert "bad.conf:2" in out and "checkFunction" in out and "must be a function" in out, out
