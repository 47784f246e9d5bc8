# SPDX-License-Identifier: GPL-2.0-only
"""The shared query and response path over TCP: the packet cache answers stream clients
from answers cached over TCP, and response rules apply to answers from TCP backends."""

import pytest

from fakedns import a_addresses, make_query
from tcpdns import StreamClient, TcpSide


def test_cache_and_response_rules_over_tcp(start_ballast, backends):
    be = backends()
    tcp = TcpSide(be)
    try:
        b = start_ballast(servers=[be], lua=(
            'pc = newPacketCache(100)\ngetPool(""):setCache(pc)\n'
            'addResponseAction(QNameRule("dropped.test."), DropResponseAction())\n'))
        host, port = b.listen[0]
        c = StreamClient(host, port)
        try:
            first = c.ask(make_query("over-tcp.test.", qid=1))
            assert first is not None and a_addresses(first) == [be.host], b.diagnostics()
            second = c.ask(make_query("OVER-tcp.test.", qid=2))
            assert second is not None and second.id == 2 and a_addresses(second) == [be.host]
            assert tcp.count == 1, "the second TCP query was not a cache hit"
            with pytest.raises(TimeoutError):
                c.ask(make_query("dropped.test.", qid=3), timeout=1.0)  # dropped by the rule
            assert tcp.count == 2
        finally:
            c.close()
    finally:
        tcp.stop()
