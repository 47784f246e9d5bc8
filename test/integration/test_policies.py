# SPDX-License-Identifier: GPL-2.0-only
"""Load-balancing policies (wrandom, whashed, chashed, roundrobin, per-pool) and showPools."""

import dns.message
import dns.rcode
import pytest

import harness
from fakedns import a_addresses, make_query


def ask_many(c, dest, names, burst=50, timeout=3.0):
    """Sends the names, `burst` in flight at a time; returns {name: answering address}."""
    out = {}
    names = list(names)
    for start in range(0, len(names), burst):
        chunk = names[start:start + burst]
        for i, name in enumerate(chunk):
            c.send(make_query(name, qid=(start + i) % 65536), dest)
        for wire, _src in c.recv_all(len(chunk), timeout=timeout):
            msg = dns.message.from_wire(wire)
            addrs = a_addresses(msg)
            out[msg.question[0].name.to_text()] = addrs[0] if addrs else None
    assert len(out) == len(names), f"only {len(out)} of {len(names)} answered"
    return out


def shares(mapping, bes):
    return {be.answer: sum(1 for a in mapping.values() if a == be.answer) for be in bes}


def test_wrandom_follows_weights(start_ballast, backends, client):
    bes = [backends(), backends()]
    b = start_ballast(servers=bes, server_opts=[{"weight": 1}, {"weight": 3}],
                      lua="setServerPolicy(wrandom)\n")
    total = 2000
    got = ask_many(client(), b.listen[0], [f"wr-{i}.test." for i in range(total)])
    heavy = shares(got, bes)[bes[1].answer] / total
    # 3/4 expected; the standard deviation over 2,000 draws is about 1%.
    assert 0.70 <= heavy <= 0.80, f"weight-3 server got {heavy:.1%} (expected 75% +- 5%)"
    assert bes[0].count + bes[1].count == total


def test_whashed_keeps_a_name_on_its_server(start_ballast, backends, client):
    bes = [backends() for _ in range(3)]
    b = start_ballast(servers=bes, lua="setServerPolicy(whashed)\nsetWHashedPertubation(42)\n")
    c = client()
    names = [f"wh-{i}.test." for i in range(90)]
    first = ask_many(c, b.listen[0], names)
    for _ in range(2):
        assert ask_many(c, b.listen[0], names) == first
    assert sum(be.count for be in bes) == 3 * len(names), "queries were not all forwarded"
    assert all(n > 0 for n in shares(first, bes).values()), shares(first, bes)


def test_chashed_stable_and_down_server_moves_only_its_names(start_ballast, backends, client):
    bes = [backends() for _ in range(3)]
    names = [f"ch-{i}.test." for i in range(150)]
    c = client()
    b = start_ballast(servers=bes, lua="setServerPolicy(chashed)\n")
    before = ask_many(c, b.listen[0], names)
    assert ask_many(c, b.listen[0], names) == before
    counts = shares(before, bes)
    assert all(n >= 20 for n in counts.values()), f"uneven ring: {counts}"
    # Same servers (same names), the second one down from the start.
    b2 = start_ballast(servers=bes, lua="setServerPolicy(chashed)\ngetServer(1):setDown()\n")
    after = ask_many(c, b2.listen[0], names)
    down = bes[1].answer
    for name in names:
        assert after[name] != down, f"{name} sent to the down server"
        if before[name] != down:
            assert after[name] == before[name], f"{name} moved from {before[name]} to {after[name]}"


def test_roundrobin_spreads_evenly(start_ballast, backends, client):
    bes = [backends() for _ in range(3)]
    b = start_ballast(servers=bes, lua="setServerPolicy(roundrobin)\n")
    got = ask_many(client(), b.listen[0], [f"rr-{i}.test." for i in range(300)], burst=30)
    for be, n in shares(got, bes).items():
        assert 97 <= n <= 103, f"{be} got {n} of 300: {shares(got, bes)}"


def test_roundrobin_with_no_server_up(start_ballast, backends, client):
    be = backends()
    down = "getServer(0):setDown()\nsetServFailWhenNoServer(true)\nsetServerPolicy(roundrobin)\n"
    # dnsdist: roundrobin falls back to all servers when none is up...
    b = start_ballast(servers=[be], lua=down)
    r = client().ask(make_query("rr-down.test."), b.listen[0])
    assert r is not None and a_addresses(r) == [be.answer]
    # ...unless told to fail.
    b2 = start_ballast(servers=[be], lua=down + "setRoundRobinFailOnNoServer(true)\n")
    r = client().ask(make_query("rr-fail.test."), b2.listen[0])
    assert r is not None and r.rcode() == dns.rcode.SERVFAIL


def test_pool_policy_overrides_global(start_ballast, backends, client):
    bes = [backends() for _ in range(3)]
    b = start_ballast(servers=bes, lua='setServerPolicy(roundrobin)\n'
                                       'setPoolServerPolicy(firstAvailable, "")\n')
    got = ask_many(client(), b.listen[0], [f"fa-{i}.test." for i in range(60)], burst=1)
    assert shares(got, bes) == {bes[0].answer: 60, bes[1].answer: 0, bes[2].answer: 0}


def test_rm_pool_server_policy_and_get_pool_servers(start_ballast, backends, client):
    bes = [backends() for _ in range(3)]
    b = start_ballast(servers=bes, server_opts=[{}, {"pool": "abuse"}, {"pool": ["abuse", ""]}],
                      lua='setServerPolicy(roundrobin)\n'
                          'setPoolServerPolicy(firstAvailable, "")\n'
                          'setWeightedBalancingFactor(1.5)\n')
    names = b.run_lua('local t = {} for _, s in ipairs(getPoolServers("abuse")) do '
                      't[#t + 1] = s:getName() end return table.concat(t, ",")')
    assert names == "b2,b3"
    assert b.run_lua('return #getPoolServers("nope")') == "0"
    got = ask_many(client(), b.listen[0], [f"pre-{i}.test." for i in range(20)], burst=1)
    assert shares(got, bes)[bes[0].answer] == 20, "firstAvailable on the default pool"
    b.run_lua('rmPoolServerPolicy("") return 1')
    got = ask_many(client(), b.listen[0], [f"post-{i}.test." for i in range(20)], burst=1)
    assert shares(got, bes) == {bes[0].answer: 10, bes[1].answer: 0, bes[2].answer: 10}, \
        "the default pool did not go back to the global roundrobin"


def test_show_pools_lists_pools_and_servers(start_ballast, backends):
    bes = [backends() for _ in range(3)]
    b = start_ballast(servers=bes, server_opts=[{}, {"pool": "abuse"}, {"pool": ["abuse", ""]}],
                      lua='setPoolServerPolicy(wrandom, "abuse")\n'
                          'print("pool object:", getPool("abuse"), getPool("empty"):getName())\n'
                          'showPools()\n')
    out = b.stdout()
    assert "pool object:\tabuse\tempty" in out
    lines = out.splitlines()
    header = [i for i, l in enumerate(lines) if l.split() == ["Name", "Cache", "ServerPolicy", "Servers"]]
    assert header, f"no showPools header in:\n{out}"
    rows = lines[header[0] + 1:header[0] + 4]
    by_name = {}
    for row in rows:
        by_name[row[:20].strip()] = row[20:]
    assert set(by_name) == {"", "abuse", "empty"}, rows
    assert "leastOutstanding" in by_name[""]
    assert f"b1 {bes[0].address}" in by_name[""] and f"b3 {bes[2].address}" in by_name[""]
    assert bes[1].address not in by_name[""]
    assert "wrandom" in by_name["abuse"]
    assert f"b2 {bes[1].address}, b3 {bes[2].address}" in by_name["abuse"]
    assert by_name["empty"].split() == ["leastOutstanding"]


def test_perturbation_set_after_the_policy_still_applies(start_ballast, backends, client):
    """setWHashedPertubation after setServerPolicy(whashed) reshuffles names, as in dnsdist."""
    bes = [backends() for _ in range(4)]
    names = [f"pt-{i}.test." for i in range(120)]
    c = client()
    b = start_ballast(servers=bes, lua="setServerPolicy(whashed)\n")
    plain = ask_many(c, b.listen[0], names)
    b2 = start_ballast(servers=bes, lua="setServerPolicy(whashed)\nsetWHashedPertubation(99)\n")
    seeded = ask_many(c, b2.listen[0], names)
    moved = sum(1 for n in names if plain[n] != seeded[n])
    assert moved >= 40, f"only {moved} of {len(names)} names moved with another perturbation"


@pytest.mark.parametrize("line, words", [
    ("setConsistentHashingBalancingFactor(0.5)", ["setConsistentHashingBalancingFactor", "1.0"]),
    ('setPoolServerPolicy("roundrobin", "")', ["setPoolServerPolicy", "policy"]),
    ("setWHashedPertubation(-1)", ["setWHashedPertubation"]),
    ("setWeightedBalancingFactor(0.9)", ["setWeightedBalancingFactor", "1.0"]),
])
def test_bad_policy_settings_rejected(tmp_path, ballast_binary, line, words):
    conf = tmp_path / "bad.conf"
    conf.write_text('setLocal("127.0.0.1:5399")\n' + line + "\n")
    r = harness.run_binary(["--check-config", "-C", str(conf)])
    assert r.returncode != 0, f"accepted {line!r}: {r.stdout}{r.stderr}"
    text = r.stdout + r.stderr
    assert "bad.conf:2" in text and all(w in text for w in words), text
