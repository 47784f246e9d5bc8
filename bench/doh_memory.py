#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Memory per idle DoH connection, ballast and (when installed) dnsdist.

For each server: start it on loopback with a DoH bind over TLS (certificate made here with
openssl), no backend and setServFailWhenNoServer(true) so every query is answered locally;
warm it up; read VmRSS; open N HTTP/2 connections (python3-h2, ALPN h2), each sending one
GET and reading its answer, then leave them idle; wait; read VmRSS again. The figure is
(after - before) / N. Not CPU-bound: a few thousand connections take seconds.

usage: bench/doh_memory.py [--connections N] [--ballast PATH] [--no-dnsdist] [--plain]
"""

import argparse
import base64
import os
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import h2.config
import h2.connection
import h2.events

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

QUERY = bytes.fromhex("0000010000010000000000000562656e6368076578616d706c650000010001")
PATH = "/dns-query?dns=" + base64.urlsafe_b64encode(QUERY).rstrip(b"=").decode()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def ask(host, port, ctx):
    """One HTTP/2 connection with one answered GET; returns the socket, left open."""
    sock = socket.create_connection((host, port), timeout=5)
    if ctx:
        sock = ctx.wrap_socket(sock)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    conn.send_headers(1, [(":method", "GET"), (":scheme", "https"), (":authority", "bench"),
                          (":path", PATH)], end_stream=True)
    sock.sendall(conn.data_to_send())
    done = False
    while not done:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.StreamEnded):
                done = True
        sock.sendall(conn.data_to_send())
    return sock


def wait_port(host, port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{host}:{port} not listening")


def measure(name, cmd, port, n, ctx):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_port("127.0.0.1", port)
        for s in [ask("127.0.0.1", port, ctx) for _ in range(20)]:
            s.close()
        time.sleep(1.0)
        before = rss_kb(proc.pid)
        conns = [ask("127.0.0.1", port, ctx) for _ in range(n)]
        time.sleep(2.0)
        after = rss_kb(proc.pid)
        for s in conns:
            s.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(f"{name:8} DoH{'' if ctx else ' (plain h2)'} {n:6} conns  RSS {before:8} kB -> "
          f"{after:8} kB  {(after - before) / n:7.2f} kB per idle connection")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connections", type=int, default=3000)
    ap.add_argument("--ballast", default=os.path.join(REPO, "build", "daemon", "ballast"))
    ap.add_argument("--no-dnsdist", action="store_true")
    ap.add_argument("--plain", action="store_true", help="plain HTTP/2 (no TLS)")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * args.connections + 200
    if hard < need:
        sys.exit(f"file descriptor limit {hard} is below the {need} needed")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    tmp = tempfile.mkdtemp(prefix="dohmem.")
    cert, key = os.path.join(tmp, "c.crt"), os.path.join(tmp, "c.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=bench"], check=True, capture_output=True)
    ctx = None
    if not args.plain:
        ctx = ssl.create_default_context(cafile=cert)
        ctx.check_hostname = False
        ctx.set_alpn_protocols(["h2"])

    def conf(path, port, server):
        certs = "nil, nil" if args.plain else f'"{cert}", "{key}"'
        with open(path, "w") as f:
            f.write(f'setSecurityPollSuffix("")\nsetLocal("127.0.0.1:{port}")\n'
                    f'addDOHLocal("127.0.0.1:{port + 2}", {certs}, "/dns-query", '
                    '{idleTimeout=600})\nsetServFailWhenNoServer(true)\n')
        return path

    servers = [("ballast", [args.ballast, "--supervised", "-C",
                            conf(os.path.join(tmp, "ballast.conf"), 5481, "ballast")], 5483)]
    dnsdist = shutil.which("dnsdist")
    if dnsdist and not args.no_dnsdist:
        servers.append(("dnsdist", [dnsdist, "--supervised", "--disable-syslog", "-C",
                                    conf(os.path.join(tmp, "dnsdist.conf"), 5491, "dnsdist")],
                        5493))
    for name, cmd, port in servers:
        measure(name, cmd, port, args.connections, ctx)
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
