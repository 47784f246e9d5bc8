#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""DoH queries per second and server CPU per query, ballast and (when installed) dnsdist
in the same run, driven by h2load (Debian's nghttp2-client). Not run by the test suite:
run it on a quiet machine.

Each server gets a DoH bind over TLS (certificate made here), a packet cache and one
backend (the test suite's fake UDP and TCP responder), so after the
warm-up every query is a cache hit: the figure is the DoH frontend's own cost. h2load
sends GETs for a few names over C connections with M streams each. The server's
utime+stime (fields 14 and 15 of /proc/PID/stat, all threads) is read just before and
after the measured run:

    cpu_us/q = (delta utime + delta stime) / CLK_TCK * 1e6 / requests succeeded

usage: bench/doh_qps.py [--requests N] [--clients C] [--streams M] [--threads T]
                        [--ballast PATH] [--no-dnsdist] [--workers W]
"""

import argparse
import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "test", "integration"))

from fakedns import FakeBackend, make_query  # noqa: E402
from tcpdns import TcpSide  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])  # fields 14 and 15


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"127.0.0.1:{port} not listening")


def h2load(urls_file, port, n, c, m, t):
    cmd = ["h2load", f"-n{n}", f"-c{c}", f"-m{m}", f"-t{t}", "-i", urls_file,
           f"--connect-to=127.0.0.1:{port}"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    ok = re.search(r"(\d+) succeeded", out.stdout)
    rps = re.search(r"finished in [^,]+, ([\d.]+) req/s", out.stdout)
    return (int(ok.group(1)) if ok else 0), (float(rps.group(1)) if rps else 0.0), out.stdout


def measure(name, cmd, port, args, urls_file):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_port(port)
        h2load(urls_file, port, 1000, 10, 10, 1)  # fills the cache
        before = cpu_ticks(proc.pid)
        ok, rps, text = h2load(urls_file, port, args.requests, args.clients, args.streams,
                               args.threads)
        after = cpu_ticks(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    cpu_us = (after - before) / CLK_TCK * 1e6 / ok if ok else float("nan")
    print(f"{name:8} {ok:9} ok  {rps:10.0f} req/s  {cpu_us:7.2f} cpu_us/q")
    if ok < args.requests:
        print(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=500000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--streams", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2, help="setMaxTCPClientThreads")
    ap.add_argument("--ballast", default=os.path.join(REPO, "build", "daemon", "ballast"))
    ap.add_argument("--no-dnsdist", action="store_true")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="dohqps.")
    cert, key = os.path.join(tmp, "c.crt"), os.path.join(tmp, "c.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=bench"], check=True, capture_output=True)
    backend = FakeBackend("127.0.0.1", ttl=3600)
    backend.tcp = TcpSide(backend)  # ballast forwards stream clients (DoT, DoH) over TCP

    def conf(path, port):
        with open(path, "w") as f:
            f.write(f'setSecurityPollSuffix("")\nsetLocal("127.0.0.1:{port}")\n'
                    f'newServer{{address="127.0.0.1:{backend.port}"}}\n'
                    'getPool(""):setCache(newPacketCache(10000))\n'
                    f'setMaxTCPClientThreads({args.workers})\n'
                    f'addDOHLocal("127.0.0.1:{port + 2}", "{cert}", "{key}", "/dns-query")\n')
        return path

    def urls(port):
        path = os.path.join(tmp, f"urls{port}")
        with open(path, "w") as f:
            for i in range(10):
                wire = make_query(f"bench{i}.test.", qid=0).to_wire()
                f.write(f"https://127.0.0.1:{port}/dns-query?dns="
                        f"{base64.urlsafe_b64encode(wire).rstrip(b'=').decode()}\n")
        return path

    servers = [("ballast", [args.ballast, "--supervised", "-C",
                            conf(os.path.join(tmp, "ballast.conf"), 5501)], 5503)]
    dnsdist = shutil.which("dnsdist")
    if dnsdist and not args.no_dnsdist:
        servers.append(("dnsdist", [dnsdist, "--supervised", "--disable-syslog", "-C",
                                    conf(os.path.join(tmp, "dnsdist.conf"), 5511)], 5513))
    for name, cmd, port in servers:
        measure(name, cmd, port, args, urls(port))
    backend.tcp.stop()
    backend.stop()
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
