# SPDX-License-Identifier: GPL-2.0-only
"""Key-value stores (issue 20): newCDBKVStore (a CDB made with tinycdb's cdb tool),
newLMDBKVStore (made with python3-lmdb), the KeyValueLookupKey* keys, the lookup rules and
actions, the KeyValueStore methods, and reload / refresh of a changed CDB file."""

import os
import subprocess
import time

import dns.rcode
import pytest

import harness
from rules_util import RUNTIME_COMMANDS_LUA, ask, rcode, run_commands

REFUSED, NXDOMAIN, NOERROR = dns.rcode.REFUSED, dns.rcode.NXDOMAIN, dns.rcode.NOERROR


def wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def make_cdb(path, entries):
    """A CDB file of {bytes key: bytes value} through tinycdb's `cdb -c`."""
    text = b"".join(b"+%d,%d:%s->%s\n" % (len(k), len(v), k, v) for k, v in entries.items()) + b"\n"
    tmp = str(path) + ".tmp"
    subprocess.run(["cdb", "-c", "-t", tmp, str(path)], input=text, check=True)


def test_cdb_rules_actions_and_methods(start_ballast, backends, client, tmp_path):
    db = tmp_path / "data.cdb"
    make_cdb(db, {wire("blocked.test."): b"1", b"sub.test": b"nx", b"raw-key": b"raw\0value",
                  bytes([127, 0, 0, 1]): b"me"})
    b = start_ballast(servers=[backends()], lua=RUNTIME_COMMANDS_LUA + f'''
kvs = newCDBKVStore("{db}", 0)
addAction(KeyValueStoreLookupRule(kvs, KeyValueLookupKeyQName(true)), RCodeAction(DNSRCode.REFUSED))
addAction(AllRule(), KeyValueStoreLookupAction(kvs, KeyValueLookupKeySuffix(0, false), "verdict"))
addAction(TagRule("verdict", "nx"), RCodeAction(DNSRCode.NXDOMAIN))
addAction(AndRule{{QNameRule("ip.test."), KeyValueStoreLookupRule(kvs, KeyValueLookupKeySourceIP())}},
          RCodeAction(DNSRCode.REFUSED))
addAction(AndRule{{QNameRule("ip2.test."), KeyValueStoreLookupRule(kvs, KeyValueLookupKeySourceIP(32, 128, true))}},
          RCodeAction(DNSRCode.REFUSED))
''')
    c = client("127.0.0.1")
    assert rcode(ask(c, b, "blocked.test.")) == REFUSED
    assert rcode(ask(c, b, "BLOCKED.test.")) == REFUSED  # keys are lower case
    assert rcode(ask(c, b, "x.blocked.test.")) == NOERROR  # exact qname only
    assert rcode(ask(c, b, "a.b.sub.test.")) == NXDOMAIN  # the suffix found the tag value
    assert rcode(ask(c, b, "other.test.")) == NOERROR
    assert rcode(ask(c, b, "ip.test.")) == REFUSED
    assert rcode(ask(client("127.0.0.2"), b, "ip.test.")) == NOERROR
    assert rcode(ask(c, b, "ip2.test.")) == NOERROR  # the port is part of that key
    run_commands(b, 'print("KV-BEGIN")\n'
                    'print("lookup", kvs:lookup("raw-key") == "raw\\0value", kvs:lookup("none") == "")\n'
                    'print("qname", kvs:lookup(newDNSName("Blocked.test.")))\n'
                    'print("suffix", kvs:lookupSuffix(newDNSName("x.y.sub.test."), 0, false),'
                    ' kvs:lookupSuffix(newDNSName("x.y.sub.test."), 4, false) == "")\n'
                    'print("KV-END")\n')
    out = b.stdout().split("KV-BEGIN")[-1].split("KV-END")[0]
    assert "lookup\ttrue\ttrue" in out and "qname\t1" in out and "suffix\tnx\ttrue" in out, out
    # a new file: seen after reload()
    make_cdb(db, {wire("other.test."): b"1"})
    assert rcode(ask(c, b, "other.test.")) == NOERROR
    run_commands(b, 'assert(kvs:reload())')
    assert rcode(ask(c, b, "other.test.")) == REFUSED
    assert rcode(ask(c, b, "blocked.test.")) == NOERROR


def test_cdb_refresh_delay(start_ballast, backends, client, tmp_path):
    db = tmp_path / "data.cdb"
    make_cdb(db, {wire("a.test."): b"1"})
    b = start_ballast(servers=[backends()], lua=(
        f'addAction(KeyValueStoreLookupRule(newCDBKVStore("{db}", 1), KeyValueLookupKeyQName()),'
        ' RCodeAction(DNSRCode.REFUSED))\n'))
    c = client()
    assert rcode(ask(c, b, "a.test.")) == REFUSED
    make_cdb(db, {wire("b.test."): b"1"})
    later = time.time() + 5
    os.utime(db, (later, later))  # a modification time surely different
    deadline = time.monotonic() + 5
    while rcode(ask(c, b, "b.test.")) != REFUSED:
        assert time.monotonic() < deadline, "the changed CDB file was not reopened"
        time.sleep(0.2)
    assert rcode(ask(c, b, "a.test.")) == NOERROR


def test_lmdb_exact_and_range_lookups(start_ballast, backends, client, tmp_path):
    lmdb = pytest.importorskip("lmdb")
    path = tmp_path / "data.lmdb"
    env = lmdb.open(str(path), subdir=False, max_dbs=4)
    db = env.open_db(b"db")
    with env.begin(write=True, db=db) as txn:
        txn.put(wire("lm.test."), b"pool-a")
        # 127.0.0.0 - 127.0.0.1: the last address is the key, the first starts the value
        txn.put(bytes([127, 0, 0, 1]), bytes([127, 0, 0, 0]) + b"range-data")
    env.close()
    b = start_ballast(servers=[backends()], lua=RUNTIME_COMMANDS_LUA + f'''
kvs = newLMDBKVStore("{path}", "db")
addAction(AllRule(), KeyValueStoreLookupAction(kvs, KeyValueLookupKeyQName(), "v"))
addAction(TagRule("v", "pool-a"), RCodeAction(DNSRCode.REFUSED))
addAction(AndRule{{QNameRule("range.test."), KeyValueStoreRangeLookupRule(kvs, KeyValueLookupKeySourceIP())}},
          RCodeAction(DNSRCode.NXDOMAIN))
addAction(QNameRule("rangetag.test."), KeyValueStoreRangeLookupAction(kvs, KeyValueLookupKeySourceIP(), "r"))
addAction(AndRule{{QNameRule("rangetag.test."), TagRule("r")}}, RCodeAction(DNSRCode.NXDOMAIN))
''')
    c = client("127.0.0.1")
    assert rcode(ask(c, b, "lm.test.")) == REFUSED
    assert rcode(ask(c, b, "other.test.")) == NOERROR
    assert rcode(ask(c, b, "range.test.")) == NXDOMAIN
    assert rcode(ask(client("127.0.0.5"), b, "range.test.")) == NOERROR  # outside the range
    assert rcode(ask(c, b, "rangetag.test.")) == NXDOMAIN
    run_commands(b, 'print("LM-BEGIN", kvs:lookup(newDNSName("lm.test.")), kvs:reload())\n')
    assert "LM-BEGIN\tpool-a\tfalse" in b.stdout(), b.stdout()


@pytest.mark.parametrize("call, reason", [
    ('newCDBKVStore("/nonexistent/x.cdb", 0)', "cannot open CDB file '/nonexistent/x.cdb'"),
    ('newLMDBKVStore("/nonexistent/x.lmdb", "db")', "cannot open LMDB database 'db'"),
    ('KeyValueStoreLookupRule("x", KeyValueLookupKeyQName())', "KeyValueStoreLookupRule"),
])
def test_bad_stores_fail_start_up(tmp_path, call, reason):
    path = tmp_path / "bad.conf"
    path.write_text(f'setLocal("127.0.0.1:5300")\nlocal k = {call}\n')
    res = harness.run_binary(["-C", str(path), "--check-config"])
    text = res.stdout + res.stderr
    assert res.returncode != 0 and f"{path}:2:" in text and reason in text, text
