# SPDX-License-Identifier: GPL-2.0-only
"""Real redis-server and redis-sentinel processes on loopback for the shared cache tier's
tests: plain or TLS (certificates made by the openssl command at test time), replicas and
sentinels; a small RESP client (plain or TLS) to look inside."""

import shutil
import socket
import ssl
import subprocess
import time

import harness

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
SENTINEL = shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"


def _read(f):
    line = f.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read(f) for _ in range(n)]
    raise RuntimeError(f"unexpected reply {line!r}")


def resp(host, port, *args, timeout=2.0, tls=None, auth=None):
    """One Redis command over RESP; returns the decoded reply (bytes, int, list, None).
    tls: a Certs for a TLS connection (client certificate included); auth: (user, pw)."""
    with socket.create_connection((host, port), timeout=timeout) as raw:
        s = raw
        if tls:
            ctx = ssl.create_default_context(cafile=str(tls.ca))
            ctx.check_hostname = False
            ctx.load_cert_chain(str(tls.client_cert), str(tls.client_key))
            s = ctx.wrap_socket(raw)
        f = s.makefile("rb")
        commands = ([("AUTH",) + tuple(auth)] if auth else []) + [args]
        for cmd in commands:
            out = b"*%d\r\n" % len(cmd)
            for a in cmd:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
            s.sendall(out)
            reply = _read(f)
        return reply


def ctr(b, name, default=0):
    """A counter from ballast's latest snapshot (written once a second)."""
    return (b.counters() or {}).get(name, default)


def wait_for(predicate, timeout=5.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _openssl(*args):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


class Certs:
    """A test CA, a server certificate for `server_ip` and a client certificate, both
    signed by it; and a second CA that signed neither."""

    def __init__(self, workdir, server_ip):
        d = workdir / "certs"
        d.mkdir(exist_ok=True)
        self.dir = d
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for name in ("ca", "other-ca"):
            _openssl("req", "-x509", *ec, "-keyout", d / f"{name}.key", "-out", d / f"{name}.crt",
                     "-days", "2", "-subj", f"/CN=ballast test {name}")
        (d / "server.ext").write_text(f"subjectAltName=IP:{server_ip},DNS:redis.test\n")
        (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
        for name in ("server", "client"):
            _openssl("req", *ec, "-keyout", d / f"{name}.key", "-out", d / f"{name}.csr",
                     "-subj", f"/CN={name}")
            _openssl("x509", "-req", "-in", d / f"{name}.csr", "-CA", d / "ca.crt", "-CAkey",
                     d / "ca.key", "-CAcreateserial", "-out", d / f"{name}.crt", "-days", "2",
                     "-extfile", d / f"{name}.ext")
        self.ca = d / "ca.crt"
        self.other_ca = d / "other-ca.crt"
        self.server_cert, self.server_key = d / "server.crt", d / "server.key"
        self.client_cert, self.client_key = d / "client.crt", d / "client.key"


class Redis:
    """A redis-server on a fresh loopback address. certs: serve TLS only (clients must show
    a certificate of the test CA); extra: more redis-server arguments."""

    def __init__(self, workdir, certs=None, extra=(), auth=None, host=None):
        self.host = host or harness.ADDRESSES.next()
        self.port = harness.free_port(self.host, tcp_too=True)
        self.workdir = workdir / f"redis-{self.port}"
        self.workdir.mkdir(exist_ok=True)
        self.certs = certs
        self.extra = list(extra)
        self.auth = auth
        self.proc = None

    @property
    def url(self):
        return f"{'rediss' if self.certs else 'redis'}://{self.host}:{self.port}/0"

    def args(self):
        a = [REDIS, "--bind", self.host, "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir), "--protected-mode", "no"]
        if self.certs:
            a += ["--port", "0", "--tls-port", str(self.port),
                  "--tls-cert-file", str(self.certs.server_cert),
                  "--tls-key-file", str(self.certs.server_key),
                  "--tls-ca-cert-file", str(self.certs.ca), "--tls-auth-clients", "yes",
                  "--tls-replication", "yes"]
        else:
            a += ["--port", str(self.port)]
        return a + self.extra

    def command(self, *args):
        return resp(self.host, self.port, *args, tls=self.certs, auth=self.auth)

    def start(self):
        self.proc = subprocess.Popen(self.args(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.command("PING") == b"PONG":
                    return
            except (OSError, RuntimeError):
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def keys(self):
        return self.command("KEYS", "ballast:*")


class Sentinel:
    """A redis-sentinel watching `master` (name `name`), with short failure timeouts."""

    def __init__(self, workdir, master, name="cachemaster", down_ms=500, failover_ms=2000):
        self.host = harness.ADDRESSES.next()
        self.port = harness.free_port(self.host, tcp_too=True)
        self.conf = workdir / f"sentinel-{self.port}.conf"
        self.certs = master.certs
        listen = f"port {self.port}\n"
        if self.certs:  # TLS only, and to the servers it watches
            c = self.certs
            listen = (f"port 0\ntls-port {self.port}\ntls-cert-file {c.server_cert}\n"
                      f"tls-key-file {c.server_key}\ntls-ca-cert-file {c.ca}\n"
                      "tls-auth-clients no\ntls-replication yes\n")
        auth = ""
        if master.auth:
            auth = (f"sentinel auth-user {name} {master.auth[0]}\n"
                    f"sentinel auth-pass {name} {master.auth[1]}\n")
        self.conf.write_text(
            f"bind {self.host}\n{listen}protected-mode no\ndir {workdir}\n"
            f"sentinel monitor {name} {master.host} {master.port} 1\n{auth}"
            f"sentinel down-after-milliseconds {name} {down_ms}\n"
            f"sentinel failover-timeout {name} {failover_ms}\n")
        self.name = name
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([SENTINEL, str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(lambda: self.master() is not None, timeout=10, what="the sentinel up")

    def master(self):
        try:
            got = resp(self.host, self.port, "SENTINEL", "get-master-addr-by-name", self.name,
                       tls=self.certs)
        except (OSError, RuntimeError):
            return None
        return (got[0].decode(), int(got[1])) if got else None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
