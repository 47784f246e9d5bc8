#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Memory per idle TCP and DoT connection, ballast and (when installed) dnsdist.

For each server: start it on loopback with a plain TCP bind and a DoT bind (certificate
made here with openssl), no backend and setServFailWhenNoServer(true) so every query is
answered locally; warm it up; read VmRSS; open N connections, each sending one query
and reading its answer (DoT: after the handshake), then leave them idle; wait; read
VmRSS again. The figure is (after - before) / N. Not CPU-bound: a few thousand
connections take seconds.

usage: bench/tcp_memory.py [--connections N] [--ballast PATH] [--no-dnsdist]
"""

import argparse
import os
import resource
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

QUERY = bytes.fromhex("1234010000010000000000000562656e6368076578616d706c650000010001")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def ask(sock):
    sock.sendall(struct.pack("!H", len(QUERY)) + QUERY)
    buf = b""
    while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
        data = sock.recv(4096)
        if not data:
            raise ConnectionError("closed")
        buf += data


def open_connections(n, host, port, tls_ctx):
    conns = []
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=5)
        if tls_ctx:
            s = tls_ctx.wrap_socket(s)
        ask(s)
        conns.append(s)
    return conns


def wait_port(host, port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{host}:{port} not listening")


def measure(name, cmd, tcp, dot, n, tls_ctx):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    out = {}
    try:
        for hp in (tcp, dot):
            wait_port(*hp)
        for label, hp, ctx in (("TCP", tcp, None), ("DoT", dot, tls_ctx)):
            warm = open_connections(20, *hp, ctx)  # worker buffers, TLS library state
            for s in warm:
                s.close()
            time.sleep(1.0)
            before = rss_kb(proc.pid)
            conns = open_connections(n, *hp, ctx)
            time.sleep(2.0)
            after = rss_kb(proc.pid)
            out[label] = (before, after, (after - before) * 1024 / n)
            for s in conns:
                s.close()
            time.sleep(1.0)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    for label, (before, after, per) in out.items():
        print(f"{name:8} {label:4} {n:6} conns  RSS {before:8} kB -> {after:8} kB  "
              f"{per / 1024:7.2f} kB per idle connection")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connections", type=int, default=3000)
    ap.add_argument("--ballast", default=os.path.join(REPO, "build", "daemon", "ballast"))
    ap.add_argument("--no-dnsdist", action="store_true")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * args.connections + 200
    if hard < need:
        sys.exit(f"file descriptor limit {hard} is below the {need} needed")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    tmp = tempfile.mkdtemp(prefix="tcpmem.")
    cert, key = os.path.join(tmp, "c.crt"), os.path.join(tmp, "c.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=bench"], check=True, capture_output=True)
    ctx = ssl.create_default_context(cafile=cert)
    ctx.check_hostname = False

    def conf(path, port):
        with open(path, "w") as f:
            f.write(f'setSecurityPollSuffix("")\nsetLocal("127.0.0.1:{port}")\n'
                    f'addTLSLocal("127.0.0.1:{port + 1}", "{cert}", "{key}")\n'
                    'setServFailWhenNoServer(true)\nsetTCPRecvTimeout(600)\n')
        return path

    servers = [("ballast", [args.ballast, "--supervised", "-C",
                            conf(os.path.join(tmp, "ballast.conf"), 5461)], 5461)]
    dnsdist = shutil.which("dnsdist")
    if dnsdist and not args.no_dnsdist:
        servers.append(("dnsdist", [dnsdist, "--supervised", "--disable-syslog", "-C",
                                    conf(os.path.join(tmp, "dnsdist.conf"), 5471)], 5471))
    for name, cmd, port in servers:
        measure(name, cmd, ("127.0.0.1", port), ("127.0.0.1", port + 1), args.connections, ctx)
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
