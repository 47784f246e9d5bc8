# SPDX-License-Identifier: GPL-2.0-only
"""/metrics in the Prometheus text format, read with Debian's python3-prometheus-client."""

import shutil
import subprocess

import pytest

from fakedns import make_query
from webtest import API_KEY, new_web_address, request, wait_web, web_lua

parser = pytest.importorskip("prometheus_client.parser",
                             reason="python3-prometheus-client is not installed "
                                    "(dist/install-deps.sh installs it)")


def scrape(web):
    status, headers, body = request(web, "/metrics", key=API_KEY)
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    text = body.decode()
    return text, {f.name: f for f in parser.text_string_to_metric_families(text)}


def test_metrics_parse_with_help_type_and_values(start_ballast, backends, client):
    be1, be2 = backends(), backends()
    web = new_web_address()
    b = start_ballast(servers=[be1, be2], server_opts=[{}, {"pool": "other"}], lua=web_lua(web))
    wait_web(web)
    c = client()
    for i in range(5):
        assert c.ask(make_query(f"prom-{i}.test.", qid=i), b.listen[0]) is not None
    snap = b.fresh_counters()
    text, families = scrape(web)

    # Every family has HELP and TYPE lines, once.
    helps = [l.split()[2] for l in text.splitlines() if l.startswith("# HELP ")]
    types = [l.split()[2] for l in text.splitlines() if l.startswith("# TYPE ")]
    assert helps == types
    assert len(set(types)) == len(types), "a family is declared twice"

    # Every statistic of getStatisticsCounters() is there under dnsdist's name.
    for name, value in snap.items():
        if name.startswith("__") or name in ("latency-sum", "latency-count"):
            continue
        prom = "dnsdist_" + name.replace("-", "_")
        assert prom in families, prom
        [sample] = families[prom].samples
        if name in ("queries", "responses", "rdqueries", "frontend-noerror"):
            assert sample.value >= value, name
    assert families["dnsdist_queries"].type == "counter"
    assert families["dnsdist_latency_avg100"].type == "gauge"

    # The latency histogram: cumulative buckets up to +Inf, equal to _count.
    hist = families["dnsdist_latency"]
    assert hist.type == "histogram"
    buckets = [(s.labels["le"], s.value) for s in hist.samples if s.name.endswith("_bucket")]
    assert [le for le, _ in buckets] == ["1", "10", "50", "100", "1000", "+Inf"]
    values = [v for _, v in buckets]
    assert values == sorted(values)
    count = [s.value for s in hist.samples if s.name == "dnsdist_latency_count"][0]
    assert values[-1] == count >= 5

    # Per-server figures with server and address labels.
    queries = {s.labels["server"]: s for s in families["dnsdist_server_queries"].samples}
    assert queries["b1"].labels["address"] == be1.address
    assert queries["b1"].value >= 5 and queries["b2"].value == 0
    status = {s.labels["server"]: s.value for s in families["dnsdist_server_status"].samples}
    assert status == {"b1": 1, "b2": 1}
    pools = {s.labels["pool"]: s.value for s in families["dnsdist_pool_servers"].samples}
    assert pools == {"": 1, "other": 1}


def test_metrics_auth(start_ballast, backends):
    web = new_web_address()
    start_ballast(servers=[backends()], lua=web_lua(web))
    wait_web(web)
    assert request(web, "/metrics")[0] == 401
    web2 = new_web_address()
    start_ballast(servers=[backends()], lua=web_lua(web2, "statsRequireAuthentication=false"))
    wait_web(web2)
    assert request(web2, "/metrics")[0] == 200
    assert request(web2, "/api/v1/servers/localhost")[0] == 401


def test_metrics_pass_promtool(start_ballast, backends):
    """promtool's only complaint may be the "_total" suffix lint on counters: dnsdist's
    names (dnsdist_queries, ...) have none, and dashboards built for dnsdist need them so."""
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.skip("promtool is not installed (Debian package prometheus)")
    web = new_web_address()
    start_ballast(servers=[backends(), backends()], server_opts=[{}, {"pool": "p"}],
                  lua=web_lua(web))
    wait_web(web)
    status, _, body = request(web, "/metrics", key=API_KEY)
    assert status == 200
    r = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                       timeout=30)
    problems = (r.stdout + r.stderr).decode().splitlines()
    other = [p for p in problems if p.strip() and
             not p.endswith('counter metrics should have "_total" suffix')]
    assert not other, other
