# SPDX-License-Identifier: GPL-2.0-only
"""Rule identities (issue 20): the name and uuid options of add*Action and newRuleAction,
showRules{showUUIDs, truncateRuleWidth}, rmRule by UUID or name, mvRule as dnsdist moves,
getTop*Rules and getAction."""

import re

import dns.rcode

import harness
from rules_util import RUNTIME_COMMANDS_LUA, ask, rcode, run_commands

REFUSED, NXDOMAIN, NOERROR = dns.rcode.REFUSED, dns.rcode.NXDOMAIN, dns.rcode.NOERROR
UUID = "8a4e0d5c-1b2f-4c3d-9e8f-0a1b2c3d4e5f"


def output(b, lua):
    run_commands(b, f'print("OUT-BEGIN")\n{lua}\nprint("OUT-END")\n')
    return b.stdout().split("OUT-BEGIN")[-1].split("OUT-END")[0]


def test_uuid_and_name_shown_and_removed(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua=RUNTIME_COMMANDS_LUA + (
        f'addAction("a.test.", RCodeAction(DNSRCode.REFUSED), {{name="first", uuid="{UUID.upper()}"}})\n'
        'addAction("a.test.", RCodeAction(DNSRCode.NXDOMAIN), {name="second"})\n'
        'addResponseAction("a.test.", SetMaxTTLResponseAction(5), {name="ttl"})\n'))
    c = client()
    assert rcode(ask(c, b, "x.a.test.")) == REFUSED
    out = output(b, "showRules({showUUIDs=true})")
    lines = [l for l in out.splitlines() if l.strip()]
    assert lines[0].split()[:5] == ["#", "Name", "UUID", "Cr.", "Order"], out
    first = lines[1].split()
    assert first[:3] == ["0", "first", UUID], out  # given in upper case, kept canonical
    second = lines[2].split()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        second[2]), out
    assert int(second[3]) > int(first[3]), "creation order increases"
    assert first[4] == "1" and second[4] == "0", out
    # truncateRuleWidth cuts the rule's description
    out = output(b, "showRules({truncateRuleWidth=4})")
    row = [l for l in out.splitlines() if l.startswith("0 ")][0]
    assert "qname" not in row and "first" in row, out
    assert "UUID" not in output(b, "showResponseRules()")
    assert "ttl" in output(b, "showResponseRules({showUUIDs=true, truncateRuleWidth=10})")
    # rmRule by UUID, then by name
    run_commands(b, f'rmRule("{UUID}")')
    assert rcode(ask(c, b, "x.a.test.")) == NXDOMAIN
    run_commands(b, 'rmRule("second")')
    assert rcode(ask(c, b, "x.a.test.")) == NOERROR
    for bad in (f'rmRule("{UUID}")', 'rmRule("second")'):
        try:
            run_commands(b, bad)
        except AssertionError as e:
            assert "no rule matched" in str(e)
        else:
            raise AssertionError(f"{bad} did not fail")


def test_mv_rule_in_front_of(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua=RUNTIME_COMMANDS_LUA + (
        'addAction("a.test.", RCodeAction(DNSRCode.REFUSED))\n'
        'addAction("a.test.", RCodeAction(DNSRCode.NXDOMAIN))\n'
        'addAction("a.test.", DropAction())\n'))
    c = client()
    run_commands(b, "mvRule(2, 0)")  # the drop in front of everything
    assert ask(c, b, "x.a.test.", timeout=0.3) is None
    run_commands(b, "mvRule(0, 3)")  # and back to the end
    assert rcode(ask(c, b, "x.a.test.")) == REFUSED
    try:
        run_commands(b, "mvRule(0, 4)")
    except AssertionError as e:
        assert "cannot move rule 0 to 4" in str(e)
    else:
        raise AssertionError("mvRule(0, 4) did not fail")


def test_get_top_rules_and_get_action(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua=RUNTIME_COMMANDS_LUA + (
        'addAction("rare.test.", RCodeAction(DNSRCode.NXDOMAIN), {name="rare"})\n'
        'addAction("often.test.", RCodeAction(DNSRCode.REFUSED), {name="often"})\n'
        'addAction("never.test.", DropAction(), {name="never"})\n'
        'addCacheHitResponseAction(AllRule(), SetMaxTTLResponseAction(5), {name="hit"})\n'
        'addSelfAnsweredResponseAction(AllRule(), SetMaxTTLResponseAction(5), {name="self"})\n'))
    c = client()
    ask(c, b, "x.rare.test.")
    for i in range(3):
        ask(c, b, f"x{i}.often.test.")
    out = output(b, '\n'.join([
        'local t = getTopRules(2)',
        'print("TOP", #t, t[1].name, t[1].matches, t[2].name, t[2].matches, #t[1].uuid)',
        'print("ACTION", tostring(getAction(1)))',
        'print("RESP", #getTopResponseRules(), getTopCacheHitResponseRules()[1].name,'
        ' getTopSelfAnsweredRules(1)[1].name, getTopSelfAnsweredResponseRules()[1].name)',
        'topRules(1, {showUUIDs=true})',
    ]))
    assert "TOP\t2\toften\t3\trare\t1\t36" in out, out
    assert "ACTION\tset rcode REFUSED" in out, out
    assert "RESP\t0\thit\tself\tself" in out, out
    row = [l for l in out.splitlines() if l.startswith("0 ")]
    assert row and row[0].split()[1] == "often", out


def test_new_rule_action_uuid_and_bad_uuid(start_ballast, backends, client, tmp_path):
    be = backends()
    b = start_ballast(servers=[be], lua=RUNTIME_COMMANDS_LUA)
    c = client()
    run_commands(b, f'setRules({{newRuleAction("b.test.", RCodeAction(DNSRCode.NXDOMAIN), '
                    f'{{name="n", uuid="{UUID}"}})}})')
    assert rcode(ask(c, b, "x.b.test.")) == NXDOMAIN
    assert UUID in output(b, "showRules({showUUIDs=true})")
    run_commands(b, f'rmRule("{UUID}")')
    assert rcode(ask(c, b, "x.b.test.")) == NOERROR
    path = tmp_path / "bad.conf"
    path.write_text('setLocal("127.0.0.1:5300")\naddAction(AllRule(), DropAction(), {uuid="nope"})\n')
    res = harness.run_binary(["-C", str(path), "--check-config"])
    assert res.returncode != 0
    assert f"{path}:2:" in res.stdout + res.stderr and "'nope' is not a UUID" in res.stdout + res.stderr
