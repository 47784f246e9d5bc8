#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""bench/floor.py: every transport against its floor, in one run (issue 21's table).

For each case the servers (ballast, dnsdist when installed, and for UDP cache hits the
one-thread recvmmsg/sendmmsg echo of bench/echo.cc, the loopback ceiling) run at the same
time on the server CPU, each on its own ports, and are measured one after the other,
round after round (interleaved), with the load on the other CPU. The headline figure is
the server's own CPU time per answered query, from utime+stime of /proc/PID/stat (all
threads) read just before and after the measured run: it depends much less than QPS on
what else runs on the machine. Medians over the rounds are reported, with ratios taken
inside the run (ballast / echo, ballast / dnsdist).

Cases (--cases, comma-separated; default all):
  udp-hit    UDP cache hits, bench/udpload (sendmmsg/recvmmsg, -q in flight)
  udp-miss   UDP, no packet cache, every query forwarded to a local unbound
  tcp-hit    TCP cache hits, dnsperf -m tcp
  tcp-miss   TCP, no packet cache (forwarded to unbound over TCP)
  dot-hit    DNS over TLS cache hits, dnsperf -m dot
  doh-hit    DNS over HTTPS cache hits, h2load (GET, C connections x M streams)
  cache-mem  bytes per packet-cache entry: N distinct names sent once through a cache
             larger than N; RSS growth / entries, and RSS over the idle process / entries
  idle-rss   RSS of a fresh server with one bind and one backend, after 2 s

Missing tools (dnsperf, unbound, h2load, openssl, dnsdist) are installed with apt-get
unless --no-install.

usage: bench/floor.py [--cases LIST] [--rounds N] [--duration S] [--ballast PATH]
                      [--no-dnsdist] [--no-install] [--entries N] [--server-cpu N]
                      [--load-cpu N]
"""

import argparse
import base64
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CLK_TCK = os.sysconf("SC_CLK_TCK")
ALL_CASES = ["udp-hit", "udp-miss", "tcp-hit", "tcp-miss", "dot-hit", "doh-hit", "cache-mem",
             "idle-rss"]
UNBOUND_PORT = 5590
ECHO_PORT = 5599
BASE_PORT = {"ballast": 5600, "dnsdist": 5610}  # +0 UDP/TCP, +1 DoT, +2 DoH


def log(msg):
    print(f"[floor] {msg}", file=sys.stderr, flush=True)


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])  # fields 14 and 15: utime, stime


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_busy(cpu):
    """Busy and softirq jiffies of one CPU (from /proc/stat)."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                v = [int(x) for x in line.split()[1:]]
                idle = v[3] + v[4]
                return sum(v[:8]) - idle, v[6]
    return 0, 0


def wait_udp(port, timeout=15):
    """Until the server answers a query on 127.0.0.1:port (any answer)."""
    q = bytes.fromhex("abcd01000001000000000000") + b"\x05probe\x07example\x00\x00\x01\x00\x01"
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                s.sendto(q, ("127.0.0.1", port))
                s.recvfrom(4096)
                return
            except OSError:
                time.sleep(0.1)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}")


def wait_tcp(port, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"127.0.0.1:{port} is not listening")


PACKAGES = {"dnsperf": "dnsperf", "unbound": "unbound", "h2load": "nghttp2-client",
            "openssl": "openssl", "dnsdist": "dnsdist"}


def install_missing(want_dnsdist):
    """apt-get install the tools that are missing, with a policy-rc.d that keeps the
    unbound and dnsdist services from starting on port 53 (removed again if ours)."""
    missing = [pkg for tool, pkg in PACKAGES.items()
               if not shutil.which(tool) and (tool != "dnsdist" or want_dnsdist)]
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    log(f"installing: {' '.join(missing)}")
    policy = "/usr/sbin/policy-rc.d"
    ours = not os.path.exists(policy)
    if ours:
        subprocess.run(sudo + ["sh", "-c", f"printf '#!/bin/sh\\nexit 101\\n' > {policy} && "
                               f"chmod 755 {policy}"], check=True)
    try:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = sudo + ["apt-get", "install", "-y", "-q", "--no-install-recommends"] + missing
        if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(sudo + ["apt-get", "update", "-q"], stdout=subprocess.DEVNULL)
            subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    finally:
        if ours:
            subprocess.run(sudo + ["rm", "-f", policy])


class Bench:
    def __init__(self, args):
        self.args = args
        if not args.no_install:
            install_missing(not args.no_dnsdist)
        self.tmp = tempfile.mkdtemp(prefix="floor.")
        self.procs = []
        self.lines = []
        self.build()
        self.servers = ["ballast"]
        if shutil.which("dnsdist") and not args.no_dnsdist:
            self.servers.append("dnsdist")
        self.cert = os.path.join(self.tmp, "cert.pem")
        self.key = os.path.join(self.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", self.key, "-out",
                        self.cert, "-days", "2", "-subj", "/CN=bench"], check=True,
                       capture_output=True)
        self.names = self.write_names("names.txt", args.names, "bench")

    # ------------------------------------------------------------------ set-up ---

    def build(self):
        bdir = os.path.join(REPO, "build-release")
        if not os.path.exists(os.path.join(bdir, "build.ninja")):
            subprocess.run(["meson", "setup", bdir, "--buildtype=release", "-Dwerror=false"],
                           cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        targets = ["bench/echo", "bench/udpload"]
        if not self.args.ballast:
            targets.append("daemon/ballast")
        subprocess.run(["nice", "ninja", "-C", bdir] + targets, check=True,
                       stdout=subprocess.DEVNULL)
        self.echo = os.path.join(bdir, "bench", "echo")
        self.udpload = os.path.join(bdir, "bench", "udpload")
        self.ballast = self.args.ballast or os.path.join(bdir, "daemon", "ballast")

    def write_names(self, fname, n, prefix):
        path = os.path.join(self.tmp, fname)
        with open(path, "w") as f:
            for i in range(n):
                f.write(f"{prefix}{i}.mem.example. A\n")
        return path

    def spawn(self, cmd, cpu, name):
        out = open(os.path.join(self.tmp, f"{name}.log"), "w")
        p = subprocess.Popen(["taskset", "-c", str(cpu)] + cmd, stdout=out, stderr=out,
                             start_new_session=True)
        self.procs.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def start_unbound(self):
        conf = os.path.join(self.tmp, "unbound.conf")
        with open(conf, "w") as f:
            f.write(f"""server:
  interface: 127.0.0.1
  port: {UNBOUND_PORT}
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: "{self.tmp}"
  pidfile: "{self.tmp}/unbound.pid"
  use-syslog: no
  verbosity: 0
  num-threads: 1
  so-rcvbuf: 4m
  so-sndbuf: 4m
  incoming-num-tcp: 1000
  msg-cache-size: 1m
  rrset-cache-size: 1m
  local-zone: "." refuse
  local-zone: "mem.example." redirect
  local-data: "mem.example. 86400 IN A 192.0.2.1"
remote-control:
  control-enable: no
""")
        self.unbound = self.spawn(["unbound", "-d", "-c", conf], self.args.load_cpu, "unbound")
        wait_udp(UNBOUND_PORT)

    def server_conf(self, server, cache=0, tcp=False, dot=False, doh=False, entries_file=None):
        port = BASE_PORT[server]
        lines = ['setSecurityPollSuffix("")',
                 f'addLocal("127.0.0.1:{port}", {{maxInFlight=100}})' if tcp
                 else f'addLocal("127.0.0.1:{port}")',
                 f'newServer{{address="127.0.0.1:{UNBOUND_PORT}"}}',
                 # the same UDP socket buffers for both (dnsdist keeps the kernel's default)
                 "setUDPSocketBufferSizes(4194304, 4194304)",
                 "setMaxTCPClientThreads(1)"]
        if cache:
            lines.append(f"pc = newPacketCache({cache}, {{maxTTL=86400}})")
            lines.append('getPool(""):setCache(pc)')
        if dot:
            lines.append(f'addTLSLocal("127.0.0.1:{port + 1}", "{self.cert}", "{self.key}", '
                         "{maxInFlight=100})")
        if doh:
            lines.append(f'addDOHLocal("127.0.0.1:{port + 2}", "{self.cert}", "{self.key}", '
                         '"/dns-query")')
        if entries_file:
            lines.append(f'function maintenance()\n  local f = io.open("{entries_file}", "w")\n'
                         '  f:write(tostring(pc:getStats()["entries"]))\n  f:close()\nend')
        path = os.path.join(self.tmp, f"{server}.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def start_server(self, server, **kw):
        conf = self.server_conf(server, **kw)
        if server == "ballast":
            cmd = [self.ballast, "--supervised", "-C", conf]
        else:
            cmd = ["dnsdist", "--supervised", "--disable-syslog", "-C", conf]
        p = self.spawn(cmd, self.args.server_cpu, server)
        wait_udp(BASE_PORT[server])
        return p

    # ------------------------------------------------------------------ load ---

    def run_load(self, kind, port, seconds, names=None):
        """Runs one load; returns (answered, qps, p50_ms, p99_ms)."""
        names = names or self.names
        cpu = str(self.args.load_cpu)
        if kind == "udp":
            cmd = [self.udpload, "-s", "127.0.0.1", "-p", str(port), "-d", names, "-l",
                   str(seconds), "-q", str(self.args.outstanding)]
            out = subprocess.run(["taskset", "-c", cpu] + cmd, capture_output=True, text=True)
            kv = dict(line.split("=", 1) for line in out.stdout.split() if "=" in line)
            return (int(kv.get("received", 0)), float(kv.get("qps", 0)),
                    float(kv.get("p50_us", 0)) / 1000, float(kv.get("p99_us", 0)) / 1000)
        if kind in ("tcp", "dot"):
            cmd = ["dnsperf", "-m", kind, "-s", "127.0.0.1", "-p", str(port), "-d", names,
                   "-l", str(seconds), "-c", "4", "-q", "500", "-t", "2"]
            out = subprocess.run(["taskset", "-c", cpu] + cmd, capture_output=True, text=True)
            done = re.search(r"Queries completed:\s+(\d+)", out.stdout)
            qps = re.search(r"Queries per second:\s+([\d.]+)", out.stdout)
            lat = re.search(r"Average Latency \(s\):\s+([\d.]+)", out.stdout)
            return (int(done.group(1)) if done else 0, float(qps.group(1)) if qps else 0,
                    float(lat.group(1)) * 1000 if lat else 0, float("nan"))
        if kind == "doh":
            cmd = ["h2load", f"-D{max(1, round(seconds))}", f"-c{self.args.doh_clients}",
                   f"-m{self.args.doh_streams}", "-t1", "-i", self.doh_urls(port),
                   f"--connect-to=127.0.0.1:{port}"]
            out = subprocess.run(["taskset", "-c", cpu] + cmd, capture_output=True, text=True)
            ok = re.search(r"(\d+) succeeded", out.stdout)
            if not ok or ok.group(1) == "0":
                log(f"h2load answered nothing: {out.stdout[-600:]} {out.stderr[-600:]}")
            rps = re.search(r"finished in [^,]+, ([\d.]+) req/s", out.stdout)
            lat = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", out.stdout)
            mean = 0.0
            if lat:
                v = lat.group(1)
                mean = float(re.sub(r"[a-z]+$", "", v)) * (0.001 if v.endswith("us") else
                                                            1000 if v.endswith("s") and not
                                                            v.endswith("ms") else 1)
            return (int(ok.group(1)) if ok else 0, float(rps.group(1)) if rps else 0, mean,
                    float("nan"))
        raise ValueError(kind)

    def doh_urls(self, port):
        path = os.path.join(self.tmp, f"urls{port}")
        if not os.path.exists(path):
            with open(path, "w") as f:
                for i in range(100):
                    name = f"bench{i}.mem.example."
                    wire = bytes.fromhex("000001000001000000000000")
                    for label in name.rstrip(".").split("."):
                        wire += bytes([len(label)]) + label.encode()
                    wire += b"\x00\x00\x01\x00\x01"
                    f.write(f"https://127.0.0.1:{port}/dns-query?dns="
                            f"{base64.urlsafe_b64encode(wire).rstrip(b'=').decode()}\n")
        return path

    def measure(self, kind, pid, port, seconds):
        cpu = self.args.server_cpu
        t0, (b0, s0), c0 = time.monotonic(), cpu_busy(cpu), cpu_ticks(pid)
        answered, qps, p50, p99 = self.run_load(kind, port, seconds)
        t1, (b1, s1), c1 = time.monotonic(), cpu_busy(cpu), cpu_ticks(pid)
        wall = (t1 - t0) * CLK_TCK
        cpu_us = (c1 - c0) / CLK_TCK * 1e6 / answered if answered else float("nan")
        other = max(0.0, ((b1 - b0) - (s1 - s0) - (c1 - c0)) / wall * 100) if wall else 0
        return {"answered": answered, "qps": qps, "cpu_us": cpu_us, "p50": p50, "p99": p99,
                "other": other}

    # ------------------------------------------------------------------ cases ---

    def throughput_case(self, case):
        kind, hit = {"udp-hit": ("udp", True), "udp-miss": ("udp", False),
                     "tcp-hit": ("tcp", True), "tcp-miss": ("tcp", False),
                     "dot-hit": ("dot", True), "doh-hit": ("doh", True)}[case]
        offset = {"udp": 0, "tcp": 0, "dot": 1, "doh": 2}[kind]
        running = {}
        for s in self.servers:
            running[s] = (self.start_server(s, cache=100000 if hit else 0, tcp=kind != "udp",
                                            dot=kind == "dot", doh=kind == "doh"),
                          BASE_PORT[s] + offset)
        if case == "udp-hit":
            running["echo"] = (self.spawn([self.echo, "127.0.0.1", str(ECHO_PORT)],
                                          self.args.server_cpu, "echo"), ECHO_PORT)
            wait_udp(ECHO_PORT)
        for s, (p, port) in running.items():
            if kind == "dot":
                wait_tcp(port)
            self.run_load(kind, port, self.args.warmup)  # fills the cache, warms up
        rows = {s: [] for s in running}
        order = list(running)
        for r in range(self.args.rounds):
            for s in order[r % len(order):] + order[:r % len(order)]:
                p, port = running[s]
                m = self.measure(kind, p.pid, port, self.args.duration)
                rows[s].append(m)
                log(f"{case} round {r + 1} {s}: {m['answered']} answered, {m['qps']:.0f} q/s, "
                    f"{m['cpu_us']:.2f} cpu_us/q, other {m['other']:.0f}%")
        for p, _ in running.values():
            self.stop(p)
        self.report_throughput(case, rows)

    def report_throughput(self, case, rows):
        med = {s: {k: statistics.median(m[k] for m in ms) for k in ms[0]}
               for s, ms in rows.items()}
        self.out(f"\n{case}: medians of {self.args.rounds} round(s) x {self.args.duration} s")
        self.out(f"  {'server':8} {'q/s':>9} {'cpu_us/q':>9} {'min-max':>13} {'p50_ms':>7} "
                 f"{'p99_ms':>7} {'other%':>6}")
        for s, m in med.items():
            lo = min(x["cpu_us"] for x in rows[s])
            hi = max(x["cpu_us"] for x in rows[s])
            self.out(f"  {s:8} {m['qps']:9.0f} {m['cpu_us']:9.2f} {lo:6.2f}-{hi:<6.2f} "
                     f"{m['p50']:7.2f} {m['p99']:7.2f} {m['other']:6.0f}")
        b = med.get("ballast", {}).get("cpu_us")
        for ref in ("echo", "dnsdist"):
            if b and ref in med and med[ref]["cpu_us"]:
                self.out(f"  ballast / {ref}: {b / med[ref]['cpu_us']:.2f} (cpu per query)")

    def cache_mem(self):
        n = self.args.entries
        names = self.write_names("mem-names.txt", n, "n")
        for s in self.servers:
            efile = os.path.join(self.tmp, f"{s}.entries")
            p = self.start_server(s, cache=n + n // 10, entries_file=efile)
            time.sleep(1)
            before = rss_kb(p.pid)
            subprocess.run(["taskset", "-c", str(self.args.load_cpu), self.udpload, "-s",
                            "127.0.0.1", "-p", str(BASE_PORT[s]), "-d", names, "-n", "1", "-q",
                            "2000", "-t", "2000", "-Q", str(self.args.fill_qps)], capture_output=True, text=True)
            time.sleep(2.5)  # maintenance() writes the count once a second
            after = rss_kb(p.pid)
            with open(efile) as f:
                entries = int(f.read().strip() or 0)
            self.stop(p)
            idle = self.idle.get(s) if hasattr(self, "idle") else None
            per = (after - before) * 1024 / entries if entries else float("nan")
            total = (after - idle) * 1024 / entries if entries and idle else float("nan")
            self.out(f"  {s:8} {entries:9} entries  RSS {before / 1024:7.1f} -> "
                     f"{after / 1024:7.1f} MB  {per:6.1f} B/entry (growth)  "
                     f"{total:6.1f} B/entry (over idle)")

    def idle_rss(self):
        self.idle = {}
        for s in self.servers:
            p = self.start_server(s)
            time.sleep(2)
            self.idle[s] = rss_kb(p.pid)
            self.stop(p)
            self.out(f"  {s:8} idle RSS {self.idle[s] / 1024:6.1f} MB")

    def out(self, line):
        print(line, flush=True)
        self.lines.append(line)

    def run(self):
        cases = self.args.cases.split(",")
        for c in cases:
            if c not in ALL_CASES:
                raise SystemExit(f"floor.py: unknown case {c} (known: {', '.join(ALL_CASES)})")
        load = os.getloadavg()
        self.out(f"floor.py {time.strftime('%Y-%m-%d %H:%M:%S')}  servers: "
                 f"{', '.join(self.servers)}  load average {load[0]:.2f} {load[1]:.2f} "
                 f"{load[2]:.2f}  server CPU {self.args.server_cpu}, load CPU "
                 f"{self.args.load_cpu}")
        self.out(f"ballast: {self.ballast}")
        self.start_unbound()
        if "idle-rss" in cases or "cache-mem" in cases:
            self.out("\nidle-rss: one bind, one backend, no cache, after 2 s")
            self.idle_rss()
        if "cache-mem" in cases:
            self.out(f"\ncache-mem: {self.args.entries} distinct names once through a cache of "
                     f"{self.args.entries * 11 // 10}")
            self.cache_mem()
        for c in cases:
            if c not in ("idle-rss", "cache-mem"):
                self.throughput_case(c)
        load = os.getloadavg()
        self.out(f"\nload average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        os.makedirs(self.args.results_dir, exist_ok=True)
        path = os.path.join(self.args.results_dir,
                            time.strftime("floor-%Y-%m-%d_%H%M%S.txt"))
        with open(path, "w") as f:
            f.write("\n".join(self.lines) + "\n")
        log(f"written to {path}")

    def close(self):
        for p in list(self.procs):
            self.stop(p)
        if self.args.keep_tmp:
            log(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default=",".join(ALL_CASES))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--ballast", help="ballast binary (default: build-release, built here)")
    ap.add_argument("--no-dnsdist", action="store_true")
    ap.add_argument("--no-install", action="store_true", help="never call apt-get")
    ap.add_argument("--names", type=int, default=1000, help="distinct names of the load")
    ap.add_argument("--outstanding", type=int, default=2000, help="udpload -q")
    ap.add_argument("--entries", type=int, default=1000000, help="cache-mem entries")
    ap.add_argument("--fill-qps", type=int, default=40000,
                    help="cache-mem rate: below what unbound answers without loss, so that "
                    "no server holds timed-out queries")
    ap.add_argument("--doh-clients", type=int, default=20)
    ap.add_argument("--doh-streams", type=int, default=20)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--load-cpu", type=int, default=1)
    ap.add_argument("--results-dir", default=os.path.join(HERE, "results"))
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()
    bench = Bench(args)
    try:
        bench.run()
    finally:
        bench.close()


if __name__ == "__main__":
    main()
