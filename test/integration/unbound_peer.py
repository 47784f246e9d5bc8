# SPDX-License-Identifier: GPL-2.0-only
"""unbound (Debian's package) resolving in the same fake hierarchy, as the reference the
embedded resolver's answers are compared with: no DNSSEC module, QNAME minimisation on,
root hints pointing at the fake root, allowed to query loopback."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import dns.message
import dns.query

UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"


def available():
    return Path(UNBOUND).exists()


class Unbound:
    def __init__(self, workdir, listen, root, extra=(), modules="iterator"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.host, self.port = listen
        hints = self.workdir / "root.hints"
        hints.write_text(f". 3600000 NS a.root-servers.net.\n"
                         f"a.root-servers.net. 3600000 A {root}\n")
        conf = ["server:", f"  interface: {self.host}", f"  port: {self.port}",
                '  username: ""', '  chroot: ""', f'  directory: "{self.workdir}"',
                '  pidfile: ""', "  use-syslog: no", f'  logfile: "{self.workdir}/log"',
                "  do-not-query-localhost: no", f'  root-hints: "{hints}"',
                f'  module-config: "{modules}"', "  qname-minimisation: yes",
                "  access-control: 127.0.0.0/8 allow", "  num-threads: 1", "  do-ip6: no",
                "  verbosity: 1", "  outgoing-range: 64",
                # test. is one of the names unbound answers itself (RFC 6761)
                '  local-zone: "test." nodefault']
        conf += [f"  {line}" for line in extra]
        conf += ["remote-control:", "  control-enable: no"]
        self.conf = self.workdir / "unbound.conf"
        self.conf.write_text("\n".join(conf) + "\n")
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", str(self.conf)],
                                     stdout=open(self.workdir / "stdout", "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("unbound exited: " + (self.workdir / "stdout").read_text())
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.bind((self.host, self.port))
            except OSError:
                return  # bound by unbound
            finally:
                s.close()
            time.sleep(0.05)
        raise RuntimeError("unbound did not bind in time")

    def ask(self, name, rtype="A", timeout=5.0):
        q = dns.message.make_query(name, rtype)
        return dns.query.udp(q, self.host, port=self.port, timeout=timeout)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
