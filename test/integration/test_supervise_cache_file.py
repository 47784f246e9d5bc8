# SPDX-License-Identifier: GPL-2.0-only
"""Graceful shutdown and the resolver's cache file (setResolverCacheFile), through the real
binary: SIGTERM answers the queries already taken, writes the cache and exits 0; a process
started again answers cached names without asking anyone; a corrupt file is reported and
ignored. The resolver forwards everything to a FakeBackend, which counts what it is asked."""

import socket
import threading

import dns.message
import dns.rcode
import dns.rdatatype

STOP_TIMEOUT = 10.0


def resolver_lua(be, cache_path, interval=0):
    return (f'newResolver{{name="rec", instances=2, outgoingTimeout=1500, dnssec="off", '
            f'forwardZones={{["."]={{"{be.address}"}}}}}}\n'
            f'setResolverCacheFile("{cache_path}", {{interval={interval}}})\n')


def ask(b, name, timeout=3.0):
    q = dns.message.make_query(name, "A")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(q.to_wire(), b.listen[0])
        wire, _ = s.recvfrom(65535)
        return dns.message.from_wire(wire)
    finally:
        s.close()


def addresses(r):
    return [rd.to_text() for rrset in r.answer if rrset.rdtype == dns.rdatatype.A for rd in rrset]


def terminate(b):
    """SIGTERM through the harness; returns the exit code."""
    b.expect_exit = True
    b.stop()
    return b.proc.returncode


def test_sigterm_saves_the_cache_and_a_restart_answers_from_it(start_ballast, backends,
                                                                 tmp_path):
    be = backends()
    path = tmp_path / "rec.cache"
    b = start_ballast(lua=resolver_lua(be, path))
    r = ask(b, "warm.test.")
    assert r.rcode() == dns.rcode.NOERROR and addresses(r) == [be.host]
    assert be.count == 1
    assert terminate(b) == 0, b.diagnostics()
    assert "cache entries saved to" in b.stderr(), b.diagnostics()
    assert path.read_bytes()[:8] == b"BLSTRCCH"

    b2 = start_ballast(lua=resolver_lua(be, path), listen=[b.listen[0]])
    assert "cache entries loaded from" in b2.stderr(), b2.diagnostics()
    r = ask(b2, "warm.test.")
    assert r.rcode() == dns.rcode.NOERROR and addresses(r) == [be.host]
    assert be.count == 1, "the first query for a cached name went out again"
    r = ask(b2, "cold.test.")  # and a name not cached still goes out
    assert r.rcode() == dns.rcode.NOERROR
    assert be.count == 2


def test_a_corrupt_cache_file_is_rejected_with_a_message_and_replaced(start_ballast, backends,
                                                                       tmp_path):
    be = backends()
    path = tmp_path / "rec.cache"
    b = start_ballast(lua=resolver_lua(be, path))
    ask(b, "one.test.")
    ask(b, "two.test.")
    assert terminate(b) == 0, b.diagnostics()
    good = path.read_bytes()
    flipped = bytearray(good)
    flipped[-3] ^= 0x20  # inside the last entry: only the checksum can tell
    for bad, reason in ((bytes(flipped), "checksum mismatch"), (good[:-5], "truncated"),
                        (b"not a cache at all" * 4, "not a ballast cache file")):
        path.write_bytes(bad)
        b = start_ballast(lua=resolver_lua(be, path), listen=[b.listen[0]])
        err = b.stderr()
        assert "cache file" in err and "rejected" in err and reason in err, b.diagnostics()
        before = be.count
        r = ask(b, "one.test.")  # started cold: nothing of the bad file was trusted
        assert r.rcode() == dns.rcode.NOERROR
        assert be.count == before + 1
        assert terminate(b) == 0, b.diagnostics()
        assert path.read_bytes()[:8] == b"BLSTRCCH"  # a good file again


def test_sigterm_answers_the_queries_in_flight_before_exiting(start_ballast, backends, tmp_path):
    be = backends()
    b = start_ballast(lua=resolver_lua(be, tmp_path / "rec.cache"))
    result = {}

    def slow():
        try:
            result["r"] = ask(b, "delay-600.test.", timeout=5.0)
        except Exception as e:  # noqa: BLE001 - reported below
            result["e"] = e

    t = threading.Thread(target=slow)
    t.start()
    be.wait_count(1)  # the query is at the backend: in flight inside ballast
    assert terminate(b) == 0, b.diagnostics()
    t.join(6.0)
    assert "r" in result, f"no answer to the query in flight: {result.get('e')}{b.diagnostics()}"
    assert result["r"].rcode() == dns.rcode.NOERROR
    assert addresses(result["r"]) == [be.host]
