# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for the web server tests: start ballast with a web server, HTTP requests from a
chosen loopback source address."""

import base64
import http.client
import json
import socket
import time

import harness

API_KEY = "api-key-for-tests"
PASSWORD = "dashboard-password"


def web_lua(web, config="", writable=False):
    """webserver() + setWebserverConfig{} for web=(host, port); config: extra Lua options."""
    host, port = web
    extra = f", {config}" if config else ""
    lines = [f'webserver("{host}:{port}")',
             f'setWebserverConfig{{password="{PASSWORD}", apiKey="{API_KEY}"{extra}}}']
    if writable:
        lines.append("setAPIWritable(true)")
    return "\n".join(lines) + "\n"


def new_web_address():
    host = harness.ADDRESSES.next()
    return host, harness.free_port(host)


def wait_web(web, timeout=5.0):
    """Wait until the web server accepts connections."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(web, timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"web server on {web} not accepting connections")
            time.sleep(0.02)


def request(web, path, method="GET", key=None, password=None, body=None, source="127.0.0.1",
            headers=None, conn=None):
    """(status, headers dict lower-cased, body bytes)."""
    h = dict(headers or {})
    if key is not None:
        h["X-API-Key"] = key
    if password is not None:
        h["Authorization"] = "Basic " + base64.b64encode(f"admin:{password}".encode()).decode()
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(web[0], web[1], timeout=5, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        if own:
            conn.close()


def get_json(web, path, key=API_KEY, **kw):
    status, _, body = request(web, path, key=key, **kw)
    assert status == 200, f"GET {path}: {status} {body[:200]!r}"
    return json.loads(body)
