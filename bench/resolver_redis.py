#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""bench/resolver_redis.py: the resolver's record cache behind the shared Redis tier
(newResolver{cache={redis=...}}), in the fake hierarchy of test/integration/resolver_world.py
(nsd and scripted servers on port 53 of loopback addresses: needs root) with a local
redis-server.

Three fresh ballast processes, each a one-instance resolver (dnssec="off"):

  A  with the tier: resolves N distinct names hI.counted.test. (misses: Redis asked, then
     iterating; what it caches written to Redis);
  C  without the tier: resolves N other names the same way;
  B  with the tier, started after A: resolves A's names, which Redis answers.

Printed: per name, the median and p90 client-seen time of C (iterating) and B (from Redis);
the process CPU time (utime + stime from /proc) per miss of A and C: the difference is the
tier's extra CPU per resolver miss (one MGET, the decode, the SET of what was cached). The
client is this script (sequential UDP queries), equal for all three.

usage: sudo bench/resolver_redis.py [--names N] [--ballast PATH]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "test" / "integration"))

import dns.message  # noqa: E402

from resolver_world import World  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
REDIS = ("127.78.54.1", 6391)


def ask(listen, name, timeout=5.0):
    q = dns.message.make_query(name, "A")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        t0 = time.perf_counter()
        s.sendto(q.to_wire(), listen)
        wire, _ = s.recvfrom(65535)
        took = time.perf_counter() - t0
    finally:
        s.close()
    r = dns.message.from_wire(wire)
    if r.rcode() != 0 or not r.answer:
        raise SystemExit(f"{name}: no answer ({r.rcode()})")
    return took


def cpu_seconds(pid):
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / CLK_TCK


def start_ballast(binary, work, label, listen, root, tier):
    cache = f', cache={{redis="redis://{REDIS[0]}:{REDIS[1]}/0", redisTimeout=20}}' if tier else ""
    conf = work / f"{label}.conf"
    conf.write_text(f'setLocal("{listen[0]}:{listen[1]}")\n'
                    f'newResolver{{name="r", rootHints={{"{root}"}}, dnssec="off", '
                    f'outgoingTimeout=500{cache}}}\n')
    p = subprocess.Popen([binary, "-C", str(conf)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            ask(listen, f"ready-{label}.counted.test.", timeout=0.5)
            time.sleep(0.3)  # the tier connected (it retries every 500 ms at worst)
            return p
        except (OSError, SystemExit):
            time.sleep(0.1)
    p.kill()
    raise SystemExit(f"ballast {label} did not start")


def stop(p):
    p.terminate()
    p.wait(10)


def run(listen, proc, names):
    cpu0 = cpu_seconds(proc.pid)
    times = [ask(listen, n) for n in names]
    return times, (cpu_seconds(proc.pid) - cpu0) / len(names)


def ms(v):
    return f"{v * 1000:.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=2000)
    ap.add_argument("--ballast", default=str(HERE.parent / "build" / "daemon" / "ballast"))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ballast-resolver-redis.") as tmp:
        work = Path(tmp)
        world = World(work / "world")
        redis = subprocess.Popen(["redis-server", "--bind", REDIS[0], "--port", str(REDIS[1]),
                                  "--save", "", "--appendonly", "no", "--dir", tmp],
                                 stdout=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            names_a = [f"h{i}.counted.test." for i in range(a.names)]
            names_c = [f"c{i}.counted.test." for i in range(a.names)]
            pa = start_ballast(a.ballast, work, "a", ("127.78.54.2", 5399), world.root, True)
            ta, cpu_a = run(("127.78.54.2", 5399), pa, names_a)
            stop(pa)
            pc = start_ballast(a.ballast, work, "c", ("127.78.54.3", 5399), world.root, False)
            tc, cpu_c = run(("127.78.54.3", 5399), pc, names_c)
            stop(pc)
            pb = start_ballast(a.ballast, work, "b", ("127.78.54.4", 5399), world.root, True)
            before = world.fakes["counted"].count()
            tb, cpu_b = run(("127.78.54.4", 5399), pb, names_a)
            upstream = world.fakes["counted"].count() - before
            stop(pb)
            q = statistics.quantiles
            print(f"names: {a.names}")
            for label, t in (("A miss, tier on (Redis asked, then iterating)", ta),
                             ("C miss, no tier (iterating)", tc),
                             ("B answered from Redis", tb)):
                print(f"{label:<48} median {ms(statistics.median(t))} ms, "
                      f"p90 {ms(q(t, n=10)[8])} ms")
            print(f"CPU per miss: with tier {cpu_a * 1e6:.1f} us, without {cpu_c * 1e6:.1f} us, "
                  f"extra {(cpu_a - cpu_c) * 1e6:.1f} us")
            print(f"CPU per answer from Redis (B): {cpu_b * 1e6:.1f} us; "
                  f"queries to counted.test.'s server from B: {upstream}")
        finally:
            redis.kill()
            world.stop()


if __name__ == "__main__":
    main()
