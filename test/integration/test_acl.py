# SPDX-License-Identifier: GPL-2.0-only
"""The client ACL: setACL, setACLFromFile, addACL and --acl."""

import harness
from fakedns import a_addresses, make_query


def assert_answered(c, b, be, name):
    r = c.ask(make_query(name, qid=11), b.listen[0], timeout=2.0)
    assert r is not None, f"client {c.host} (inside the ACL) got no answer"
    assert a_addresses(r) == [be.answer]


def assert_dropped(c, b, name, count=1):
    for i in range(count):
        got = c.ask_raw(make_query(f"q{i}-{name}", qid=100 + i), b.listen[0], timeout=0.2)
        assert got is None, f"client {c.host} (outside the ACL) got an answer: {got!r}"
    assert c.recv(0.6) is None, f"client {c.host} (outside the ACL) got a late answer"


def test_client_outside_acl_gets_nothing(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua='setACL({"127.0.0.1/32"})\n')
    base = b.fresh_counters()
    assert_dropped(client("127.0.0.2"), b, "outside.test.", count=3)
    assert be.count == 0, "a query from outside the ACL reached the backend"
    b.wait_deltas(base, {"acl-drops": 3})
    assert_answered(client("127.0.0.1"), b, be, "inside.test.")
    assert be.count == 1


def test_client_inside_acl_not_counted_as_drop(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua='setACL({"127.0.0.1/32"})\n')
    base = b.fresh_counters()
    c = client("127.0.0.1")
    for i in range(3):
        assert_answered(c, b, be, f"inside-{i}.test.")
    snap = b.fresh_counters()
    assert snap["acl-drops"] == base["acl-drops"]
    assert snap["queries"] - base["queries"] == 3


def test_add_acl_extends(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be],
                      lua='setACL({"127.0.0.1/32"})\naddACL("127.0.0.4/32")\n')
    base = b.fresh_counters()
    assert_answered(client("127.0.0.4"), b, be, "added.test.")
    assert_dropped(client("127.0.0.5"), b, "not-added.test.")
    b.wait_deltas(base, {"acl-drops": 1})


def test_set_acl_replaces_default(start_ballast, backends, client):
    """The default ACL lets all of 127/8 in; setACL leaves only what it lists."""
    be = backends()
    b = start_ballast(servers=[be], lua='setACL({"127.0.0.1/32", "127.0.0.6/32"})\n')
    assert_answered(client("127.0.0.6"), b, be, "listed.test.")
    assert_dropped(client("127.0.0.7"), b, "unlisted.test.")


def test_default_acl_allows_loopback(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be])
    assert_answered(client("127.0.0.8"), b, be, "default-acl.test.")


def test_command_line_acl_comes_before_the_file(start_ballast, backends, client):
    # As dnsdist: --acl is in the ACL before the file runs, so setACL replaces it...
    be = backends()
    b = start_ballast(servers=[be], lua='setACL({"127.0.0.1/32"})\n',
                      args=["--acl", "127.0.0.2/32"])
    base = b.fresh_counters()
    assert_answered(client("127.0.0.1"), b, be, "config.test.")
    assert_dropped(client("127.0.0.2"), b, "cmdline.test.")
    b.wait_deltas(base, {"acl-drops": 1})


def test_command_line_acl_adds_to_the_default(start_ballast, backends, client):
    # ...while without setACL it adds to the default ACL instead of replacing it.
    be = backends()
    b = start_ballast(servers=[be], lua='addACL("192.0.2.0/24")\n',
                      args=["--acl", "10.9.0.0/16"])
    assert_answered(client("127.0.0.5"), b, be, "default.test.")


def test_set_acl_from_file(start_ballast, backends, client, tmp_path):
    be = backends()
    acl = tmp_path / "acl.txt"
    acl.write_text("# clients\n\n  127.0.0.6/32  \n127.0.0.7\n")
    b = start_ballast(servers=[be], lua=f'setACLFromFile("{acl}")\n',
                      client_host="127.0.0.6")
    assert_answered(client("127.0.0.7"), b, be, "file-acl.test.")
    assert_dropped(client("127.0.0.8"), b, "not-in-file.test.")
    bad = tmp_path / "bad.conf"
    acl.write_text("127.0.0.1/32\nnot-a-netmask\n")
    bad.write_text(f'setLocal("127.0.0.1:5300")\nsetACLFromFile("{acl}")\n')
    res = harness.run_binary(["-C", str(bad), "--check-config"])
    assert res.returncode != 0
    assert f"{bad}:2: setACLFromFile: {acl}:2:" in res.stdout + res.stderr, res.stdout + res.stderr


def test_rm_acl(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua='addACL("127.0.0.9/32")\nrmACL("127.0.0.0/8")\n',
                      client_host="127.0.0.9")
    assert_answered(client("127.0.0.9"), b, be, "kept.test.")
    assert_dropped(client("127.0.0.10"), b, "removed.test.")
