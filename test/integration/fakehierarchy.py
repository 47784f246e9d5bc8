# SPDX-License-Identifier: GPL-2.0-only
"""A fake DNS hierarchy on loopback for the embedded resolver's tests.

Every server listens on port 53 of its own 127.N.53.x address (N from the pid,
kept below the 64..243 range the harness's AddressPool uses), because an
iterative resolver always talks to port 53 of the addresses in NS glue.

- ``Nsd``: a real authoritative server (Debian's nsd, no chroot, no database,
  no privilege drop) serving the zones it is given on the addresses it is given.
- ``FakeAuth``: a scripted dnspython authoritative (UDP and TCP) for faults,
  which records every query it receives.
"""

import os
import select
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset

NSD = shutil.which("nsd") or "/usr/sbin/nsd"


def base_prefix():
    return f"127.{1 + os.getpid() % 60}.53."


class FakeAuth:
    """A scripted authoritative server on (host, 53), UDP and TCP.

    handler(query, tcp) returns a dns.message.Message to send, or None to stay
    silent. Every query is kept in ``queries`` as (qname, qtype, tcp, edns, rd).
    """

    def __init__(self, host, handler):
        self.host = host
        self.handler = handler
        self.queries = []
        self.lock = threading.Lock()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.udp = socket.socket(family, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.udp.bind((host, 53))
        self.tcp = socket.socket(family, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((host, 53))
        self.tcp.listen(16)
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def matching(self, qname):
        with self.lock:
            return [q for q in self.queries if q[0] == qname.lower()]

    def count(self, qname=None, qtype=None):
        with self.lock:
            return sum(1 for q in self.queries
                       if (qname is None or q[0] == qname.lower())
                       and (qtype is None or q[1] == qtype))

    def _answer(self, wire, tcp):
        try:
            q = dns.message.from_wire(wire)
        except Exception:
            return None
        with self.lock:
            self.queries.append((q.question[0].name.to_text().lower(),
                                 dns.rdatatype.to_text(q.question[0].rdtype), tcp, q.edns >= 0,
                                 bool(q.flags & dns.flags.RD)))
        r = self.handler(q, tcp)
        return None if r is None else r.to_wire(max_size=65535)

    def _run(self):
        while not self.stopping:
            ready, _, _ = select.select([self.udp, self.tcp], [], [], 0.1)
            for s in ready:
                if s is self.udp:
                    wire, src = self.udp.recvfrom(65535)
                    out = self._answer(wire, False)
                    if out is not None:
                        self.udp.sendto(out, src)
                else:
                    conn, _ = self.tcp.accept()
                    conn.settimeout(1.0)
                    try:
                        n = int.from_bytes(conn.recv(2), "big")
                        wire = b""
                        while len(wire) < n:
                            chunk = conn.recv(n - len(wire))
                            if not chunk:
                                break
                            wire += chunk
                        out = self._answer(wire, True)
                        if out is not None:
                            conn.sendall(len(out).to_bytes(2, "big") + out)
                    except OSError:
                        pass
                    finally:
                        conn.close()

    def stop(self):
        self.stopping = True
        self.thread.join(2)
        self.udp.close()
        self.tcp.close()


def response(q, rcode=dns.rcode.NOERROR, aa=True, edns=True):
    r = dns.message.make_response(q)
    r.set_rcode(rcode)
    if aa:
        r.flags |= dns.flags.AA
    if not edns:
        r.use_edns(False)
    return r


def rr(text):
    """'name ttl type rdata' -> rrset (class IN)."""
    name, ttl, rtype, rdata = text.split(maxsplit=3)
    return dns.rrset.from_text(name, int(ttl), "IN", rtype, rdata)


SOA = "ns.{zone} hostmaster.{zone} 1 3600 600 86400 30"


class Nsd:
    """nsd serving zone files in `workdir` on the given addresses, port 53."""

    def __init__(self, workdir, addresses, zones):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = ["server:", '  username: ""', '  chroot: ""', '  database: ""',
                f'  zonesdir: "{self.workdir}"', f'  pidfile: "{self.workdir}/nsd.pid"',
                f'  xfrdfile: "{self.workdir}/xfrd.state"',
                f'  zonelistfile: "{self.workdir}/zone.list"',
                f'  logfile: "{self.workdir}/nsd.log"', "  server-count: 1",
                "  verbosity: 1", "  port: 53", "  tcp-count: 10"]
        conf += [f"  ip-address: {a}" for a in addresses]
        conf += ["remote-control:", "  control-enable: no"]
        for zone, text in zones.items():
            fname = "root.zone" if zone == "." else zone.rstrip(".") + ".zone"
            (self.workdir / fname).write_text(text)
            conf += ["zone:", f"  name: \"{zone}\"", f"  zonefile: \"{fname}\""]
        self.conf = self.workdir / "nsd.conf"
        self.conf.write_text("\n".join(conf) + "\n")
        self.addresses = addresses
        self.proc = subprocess.Popen([NSD, "-d", "-c", str(self.conf)],
                                     stdout=open(self.workdir / "stdout", "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, probe_name, timeout=10.0):
        deadline = time.monotonic() + timeout
        q = dns.message.make_query(probe_name, "SOA")
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nsd exited: " + (self.workdir / "stdout").read_text()
                                   + (self.workdir / "nsd.log").read_text()
                                   if (self.workdir / "nsd.log").exists() else "")
            try:
                r = dns.query.udp(q, self.addresses[0], timeout=0.2)
                if r.rcode() == dns.rcode.NOERROR and r.answer:
                    return self
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("nsd did not answer in time")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
