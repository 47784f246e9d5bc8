# SPDX-License-Identifier: GPL-2.0-only
"""Fixtures: fake backends, ballast processes, clients; all cleaned up per test."""

import os

import pytest

import harness
from fakedns import Client, FakeBackend
from tcpdns import TcpSide


def pytest_report_header(config):
    path = harness.ballast_bin()
    state = "found" if os.access(path, os.X_OK) else "MISSING"
    return f"ballast binary: {path} ({state})"


@pytest.fixture(scope="session")
def ballast_binary():
    path = harness.ballast_bin()
    if not os.access(path, os.X_OK):
        pytest.fail(f"ballast binary not found or not executable: {path} "
                    "(build it, or set BALLAST_BIN)", pytrace=False)
    return path


@pytest.fixture
def new_addr():
    """Returns a function giving a fresh, unused 127.x.y.z address."""
    return harness.ADDRESSES.next


def _backend_factory():
    """Yields a factory of FakeBackends on fresh loopback addresses; stops them all after."""
    made = []

    def make(mode="normal", host=None, **kw):
        be = FakeBackend(host or harness.ADDRESSES.next(), mode=mode, **kw)
        made.append(be)
        return be

    yield make
    for be in made:
        be.stop()


@pytest.fixture
def backends():
    """Factory for FakeBackends on fresh loopback addresses; all stopped at teardown."""
    yield from _backend_factory()


@pytest.fixture
def client():
    """Factory for UDP clients bound to a given loopback address."""
    made = []

    def make(host="127.0.0.1"):
        c = Client(host)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def _check_process(b):
    problems = []
    if b.died_on_its_own is not None and not b.expect_exit:
        problems.append(f"ballast exited on its own during the test "
                        f"(exit code {b.died_on_its_own}){b.diagnostics()}")
    report = b.sanitizer_report()
    if report:
        problems.append(f"sanitizer report in ballast's stderr:\n{report}")
    return problems


class Starter:
    """Starts ballast processes under one directory and stops them all at the end.

    start(servers=[be, ...], lua="extra lines", listen=[(host, port)],
          args=[...], server_opts=[{...}, ...], wait=True)
    The config is: setLocal/addLocal for each listener, newServer for each
    backend (named b1, b2, ... unless server_opts says otherwise), then lua,
    then the harness's maintenance(). Returns a harness.Ballast with .listen.
    """

    def __init__(self, base_dir):
        self.base_dir = base_dir
        self.started = []

    def __call__(self, servers=(), lua="", listen=None, args=(), server_opts=None,
                 wait=True, locals_in_config=True, client_host="127.0.0.1",
                 show_servers=True):
        if listen is None:
            listen = [harness.new_listener()]
        lines = []
        if locals_in_config:
            for i, (host, port) in enumerate(listen):
                fn = "setLocal" if i == 0 else "addLocal"
                lines.append(f'{fn}("{harness.hostport(host, port)}")')
        for i, be in enumerate(servers):
            opts = {"name": f"b{i + 1}"}
            if server_opts and i < len(server_opts) and server_opts[i]:
                opts.update(server_opts[i])
            lines.append(harness.lua_new_server(be, **opts))
        body = "\n".join(lines) + "\n" + lua
        workdir = self.base_dir / f"ballast{len(self.started)}"
        b = harness.Ballast(workdir, body, listen, args=args, show_servers=show_servers)
        self.started.append(b)
        b.start()
        if wait:
            b.wait_ready(client_host=client_host)
        return b

    def close(self):
        """Stops everything; a crash or a sanitizer report fails the test."""
        problems = []
        for b in self.started:
            b.stop()
            problems.extend(_check_process(b))
        if problems:
            pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def start_ballast(ballast_binary, tmp_path):
    """Start ballast for one test (see Starter); stopped at teardown."""
    starter = Starter(tmp_path)
    yield starter
    starter.close()


@pytest.fixture(scope="module")
def module_ballast(ballast_binary, tmp_path_factory):
    """Start ballast shared by a module's tests (see Starter); stopped after the module.

    Tests sharing one must leave its counters settled (wait for their deltas)
    so the next test can take the latest snapshot as its baseline.
    """
    starter = Starter(tmp_path_factory.mktemp("shared"))
    yield starter
    starter.close()


@pytest.fixture(scope="module")
def module_backends():
    """FakeBackends shared by a module's tests; stopped after the module."""
    yield from _backend_factory()


@pytest.fixture
def tcp_backend(backends):
    """A fake backend answering over TCP too, on the same address and port: stream clients
    (TCP, DoT, DoH) are forwarded over TCP, never truncated, as dnsdist does."""
    sides = []

    def make(mode="normal", **kw):
        be = backends(mode, **kw)
        be.tcp = TcpSide(be)
        sides.append(be.tcp)
        return be

    yield make
    for s in sides:
        s.stop()
