# SPDX-License-Identifier: GPL-2.0-only
"""carbonServer(): carbon plaintext lines over TCP at the interval, dnsdist's paths,
reconnecting after failures."""

import socket
import threading
import time

import harness
from fakedns import make_query, wait_until


class CarbonListener:
    """A TCP listener that collects "path value timestamp" lines, one connection at a time."""

    def __init__(self, host, port=0):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.address = self.sock.getsockname()
        self.lines = []
        self.connections = 0
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with self.lock:
                self.connections += 1
            data = b""
            conn.settimeout(2)
            try:
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            conn.close()
            with self.lock:
                self.lines.extend(data.decode().splitlines())

    def latest(self, prefix):
        """{path without prefix: value} from the newest round with lines under prefix."""
        with self.lock:
            lines = list(self.lines)
        out = {}
        for line in lines:
            path, value, ts = line.split(" ")
            if path.startswith(prefix):
                out[path[len(prefix):]] = (float(value), int(ts))
        return out

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()


def test_carbon_lines_names_and_values(start_ballast, backends, client):
    host = harness.ADDRESSES.next()
    listener = CarbonListener(host)
    try:
        be = backends()
        lua = f'carbonServer("{host}:{listener.address[1]}", "web-test", 1, "ns", "inst")\n'
        b = start_ballast(servers=[be], server_opts=[{"pool": ["", "p.one"]}], lua=lua)
        c = client()
        for i in range(7):
            assert c.ask(make_query(f"carbon-{i}.test.", qid=i), b.listen[0]) is not None
        snap = b.fresh_counters()
        prefix = "ns.web-test.inst."
        assert wait_until(lambda: listener.latest(prefix).get("queries", (0,))[0] >= snap["queries"],
                          timeout=5), listener.lines[-5:]
        got = listener.latest(prefix)
        now = time.time()
        for name in ("queries", "responses", "rdqueries", "acl-drops", "latency0-1",
                     "latency-avg100", "downstream-timeouts"):
            assert name in got, name
            assert abs(got[name][1] - now) < 10
        assert got["acl-drops"][0] == 0
        for figure in ("queries", "responses", "drops", "latency", "senderrors", "outstanding"):
            assert f"servers.b1.{figure}" in got, figure
        assert got["servers.b1.queries"][0] >= 7
        assert got["pools._default_.servers"][0] == 1
        assert got["pools.p_one.servers"][0] == 1
        assert got["pools.p_one.active-servers"][0] == 1
        assert listener.connections >= 1
    finally:
        listener.close()


def test_carbon_default_names_and_reconnect(start_ballast, backends):
    host = harness.ADDRESSES.next()
    port = harness.free_port(host)
    # Nothing listens at first: ballast keeps running and retries each interval.
    b = start_ballast(servers=[backends()], lua=f'carbonServer("{host}:{port}", "", 1)\n')
    assert wait_until(lambda: "Problem sending carbon data" in b.stderr(), timeout=5)
    assert b.alive()
    listener = CarbonListener(host, port)
    try:
        ourname = socket.gethostname().replace(".", "_")
        prefix = f"dnsdist.{ourname}.main."
        assert wait_until(lambda: "queries" in listener.latest(prefix), timeout=5), listener.lines[:5]
        assert wait_until(lambda: listener.connections >= 2, timeout=5)  # one per interval
    finally:
        listener.close()
