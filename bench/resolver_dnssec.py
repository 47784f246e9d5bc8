#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""bench/resolver_dnssec.py: the embedded resolver's DNSSEC validation against unbound, on the
signed fake hierarchy of test/integration/signed_hierarchy.py (keys made now by ldns-keygen,
zones signed by ldns-signzone, served by nsd on port 53 of 127.78.53.1-3: needs root).

For each of ballast (dnssec="validate" and "off") and unbound ("validator iterator" and
"iterator"), a fresh process resolves N distinct names one after the other:

  cold   every name once: median and p90 time per name, upstream queries per name (the
         queries nsd received, from nsd-control over a unix socket);
  warm   the same names again (answers from the record cache);
  cpu    R rounds over the names from the cache: the server process's CPU time (utime +
         stime from /proc) per answer.

Names: hI.wild.secure.test. TXT (NSEC zone, wildcard answers: RRSIG and NSEC proof checked),
hI.wild.nsec3.test. TXT (NSEC3), hI.wild.insecure.test. TXT (unsigned child of a signed
parent), in turn. The client is this script (sequential UDP queries), so per-name times
include its own overhead, equal for both servers.

usage: sudo bench/resolver_dnssec.py [--names N] [--rounds R] [--ballast PATH]
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

import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.rcode  # noqa: E402

import signed_hierarchy as sh  # noqa: E402

PREFIX = "127.78.53."
LISTEN = ("127.78.53.10", 5399)
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Nsd:
    def __init__(self, workdir, address, zones):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True)
        conf = ["server:", '  username: ""', '  chroot: ""', '  database: ""',
                f'  zonesdir: "{self.dir}"', f'  pidfile: "{self.dir}/nsd.pid"',
                f'  xfrdfile: "{self.dir}/xfrd.state"', f'  zonelistfile: "{self.dir}/zl"',
                f'  logfile: "{self.dir}/nsd.log"', "  server-count: 1", "  port: 53",
                f"  ip-address: {address}", "remote-control:", "  control-enable: yes",
                f"  control-interface: {self.dir}/nsd.sock"]
        for zone, text in zones.items():
            fname = "root.zone" if zone == "." else zone.rstrip(".") + ".zone"
            (self.dir / fname).write_text(text)
            conf += ["zone:", f'  name: "{zone}"', f'  zonefile: "{fname}"']
        self.conf = self.dir / "nsd.conf"
        self.conf.write_text("\n".join(conf) + "\n")
        self.proc = subprocess.Popen(["nsd", "-d", "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        time.sleep(0.5)

    def queries(self):
        out = subprocess.run(["nsd-control", "-c", str(self.conf), "stats_noreset"],
                             capture_output=True, text=True, check=True).stdout
        return sum(int(l.split("=")[1]) for l in out.splitlines()
                   if l.startswith("num.queries="))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)


def ask(name, rtype="TXT", timeout=5.0):
    q = dns.message.make_query(name, rtype, want_dnssec=True)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        t0 = time.perf_counter()
        s.sendto(q.to_wire(), LISTEN)
        wire, _ = s.recvfrom(65535)
        dt = time.perf_counter() - t0
        return dns.message.from_wire(wire), dt
    finally:
        s.close()


def cpu_seconds(pid):
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / CLK_TCK


def start_ballast(binary, work, anchor, mode):
    conf = work / f"ballast-{mode}.conf"
    conf.write_text(f'setLocal("{LISTEN[0]}:{LISTEN[1]}")\n'
                    f'newResolver{{name="rec", instances=1, rootHints={{"{PREFIX}1"}}, '
                    f'trustAnchors="{anchor}", dnssec="{mode}", outgoingTimeout=1000}}\n')
    p = subprocess.Popen([binary, "-C", str(conf)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p


def start_unbound(work, anchor, modules):
    d = work / f"unbound-{modules.replace(' ', '-')}"
    d.mkdir()
    hints = d / "root.hints"
    hints.write_text(f". 3600000 NS a.root-servers.net.\na.root-servers.net. 3600000 A {PREFIX}1\n")
    conf = ["server:", f"  interface: {LISTEN[0]}", f"  port: {LISTEN[1]}", '  username: ""',
            '  chroot: ""', f'  directory: "{d}"', '  pidfile: ""', "  use-syslog: no",
            f'  logfile: "{d}/log"', "  do-not-query-localhost: no", f'  root-hints: "{hints}"',
            f'  module-config: "{modules}"', "  qname-minimisation: yes",
            "  access-control: 127.0.0.0/8 allow", "  num-threads: 1", "  do-ip6: no",
            "  verbosity: 0", '  local-zone: "test." nodefault', "  prefetch: no"]
    if "validator" in modules:
        conf.append(f'  trust-anchor-file: "{anchor}"')
    (d / "unbound.conf").write_text("\n".join(conf) + "\n")
    return subprocess.Popen(["unbound", "-d", "-c", str(d / "unbound.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(proc):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            ask("ready.invalid.", "A", timeout=0.3)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server not ready")


def run(label, proc, names, rounds, nsds):
    try:
        wait_ready(proc)
        before = sum(n.queries() for n in nsds)
        cold, ad, rcodes = [], 0, set()
        for n in names:
            r, dt = ask(n)
            cold.append(dt)
            ad += bool(r.flags & dns.flags.AD)
            rcodes.add(dns.rcode.to_text(r.rcode()))
        upstream = (sum(n.queries() for n in nsds) - before) / len(names)
        warm = [ask(n)[1] for n in names]
        c0 = cpu_seconds(proc.pid)
        t0 = time.perf_counter()
        for _ in range(rounds):
            for n in names:
                ask(n)
        wall = time.perf_counter() - t0
        cpu = (cpu_seconds(proc.pid) - c0) / (rounds * len(names))
        ms = lambda v: f"{v * 1000:.2f}"  # noqa: E731
        q = statistics.quantiles
        print(f"{label:<28} cold median {ms(statistics.median(cold))} ms p90 "
              f"{ms(q(cold, n=10)[-1])} ms, upstream/name {upstream:.2f}; warm median "
              f"{ms(statistics.median(warm))} ms; cache CPU/answer {cpu * 1e6:.1f} us "
              f"({rounds * len(names) / wall:.0f} q/s client-bound); AD {ad}/{len(names)} "
              f"rcodes {sorted(rcodes)}", flush=True)
    finally:
        proc.terminate()
        proc.wait(10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--ballast", default=str(HERE.parent / "build" / "daemon" / "ballast"))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ballast-dnssec-bench.") as tmp:
        work = Path(tmp)
        h = sh.build(work / "keys", PREFIX)
        anchor = work / "anchor.txt"
        anchor.write_text(h.anchor + "\n")
        others = {z: t for z, t in h.zones.items() if z not in (".", "test.")}
        nsds = [Nsd(work / "nsd1", f"{PREFIX}1", {".": h.zones["."]}),
                Nsd(work / "nsd2", f"{PREFIX}2", {"test.": h.zones["test."]}),
                Nsd(work / "nsd3", f"{PREFIX}3", others)]
        try:
            zones = ["secure.test.", "nsec3.test.", "insecure.test."]
            names = [f"h{i}.wild.{zones[i % 3]}" for i in range(a.names)]
            for mode in ("validate", "off"):
                run(f"ballast dnssec={mode}", start_ballast(a.ballast, work, anchor, mode), names,
                    a.rounds, nsds)
            for modules in ("validator iterator", "iterator"):
                run(f"unbound {modules}", start_unbound(work, anchor, modules), names, a.rounds,
                    nsds)
        finally:
            for n in nsds:
                n.stop()


if __name__ == "__main__":
    main()
