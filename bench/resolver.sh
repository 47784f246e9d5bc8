#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/resolver.sh: the embedded resolver against unbound, on one fake hierarchy.
#
#  1. Cold: every name resolved once (at a low, fixed rate) by a fresh ballast resolver and
#     by a fresh unbound; the hierarchy's nsd counts the queries it received (nsd-control
#     stats), giving outgoing queries per cold resolution for each.
#  2. Warm: dnsperf over the same names, now cached, through ballast (the resolver's record
#     cache answers) and through dnsdist in front of unbound (unbound's cache answers);
#     the server side's CPU time per query (utime+stime of ballast, or of dnsdist plus
#     unbound) and the QPS dnsperf saw.
#
# nsd listens on port 53 of 127.77.53.1-3 (the resolvers talk to port 53), so this needs
# root. Do not run it on a busy machine: see bench/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/resolver.sh [--duration S] [--names N] [--qps N] [--ballast PATH] [--keep-tmp]
  --duration S   seconds of measured warm load per server (default 10)
  --names N      distinct names host-I.zoneK.test. (default 2000, 10 zones)
  --qps N        dnsperf -Q for the warm runs (default: unlimited)
  --ballast PATH ballast binary (default build-release/daemon/ballast, built if missing)
  --cold-only    only the cold pass (no load: safe on a shared machine)
  --keep-tmp     keep the temporary directory
EOF
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/.." && pwd)"
duration=10
names=2000
qps=""
ballast_bin="$repo_root/build-release/daemon/ballast"
keep_tmp=0
cold_only=0
while (($#)); do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --names) names="$2"; shift 2 ;;
    --qps) qps="$2"; shift 2 ;;
    --ballast) ballast_bin="$2"; shift 2 ;;
    --keep-tmp) keep_tmp=1; shift ;;
    --cold-only) cold_only=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

for tool in nsd nsd-control nsd-control-setup unbound dnsdist dnsperf; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install nsd unbound dnsdist dnsperf)" >&2; exit 1; }
done
if [ ! -x "$ballast_bin" ]; then
  (cd "$repo_root" && (test -d build-release || meson setup build-release --buildtype=release) &&
    ninja -C build-release daemon/ballast)
fi

tmp="$(mktemp -d /tmp/ballast-resolver-bench.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if ((keep_tmp)); then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

b=127.77.53.
zones=10
soa() {  # $1 zone; the root's servers live under root-servers.net.
  local z=$1; [ "$z" = . ] && z=root-servers.net.
  echo "$1 IN SOA ns.$z hostmaster.$z 1 3600 600 86400 300"
}

# ---- the hierarchy: root on .1, test. on .2, zone0..9.test. on .3 ----
{
  echo '$TTL 86400'; soa .; echo ". IN NS a.root-servers.net."
  echo "a.root-servers.net. IN A ${b}1"; echo "test. IN NS ns.test."; echo "ns.test. IN A ${b}2"
} >"$tmp/root.zone"
{
  echo '$TTL 86400'; soa test.; echo "test. IN NS ns.test."; echo "ns.test. IN A ${b}2"
  for ((k = 0; k < zones; k++)); do
    echo "zone$k.test. IN NS ns.zone$k.test."; echo "ns.zone$k.test. IN A ${b}3"
  done
} >"$tmp/test.zone"
zone_conf=""
for ((k = 0; k < zones; k++)); do
  {
    echo '$TTL 86400'; soa "zone$k.test."; echo "zone$k.test. IN NS ns.zone$k.test."
    echo "ns.zone$k.test. IN A ${b}3"
  } >"$tmp/zone$k.zone"
  zone_conf+=$'zone:\n  name: "zone'$k$'.test."\n  zonefile: "zone'$k$'.zone"\n'
done
: >"$tmp/names"
for ((i = 0; i < names; i++)); do
  k=$((i % zones))
  echo "host-$i.zone$k.test. IN A 192.0.2.$((i % 250 + 1))" >>"$tmp/zone$k.zone"
  echo "host-$i.zone$k.test. A" >>"$tmp/names"
done

nsd-control-setup -d "$tmp" >/dev/null 2>&1
# One nsd per level (a server loaded with every zone would answer for all of them itself,
# and no resolver would see a referral): n=1 the root, n=2 test., n=3 the zones.
nsd_conf() {  # $1 n, $2 zone entries
  cat >"$tmp/nsd$1.conf" <<EOF
server:
  username: ""
  chroot: ""
  database: ""
  zonesdir: "$tmp"
  pidfile: "$tmp/nsd$1.pid"
  xfrdfile: "$tmp/xfrd$1.state"
  zonelistfile: "$tmp/zone$1.list"
  logfile: "$tmp/nsd$1.log"
  server-count: 1
  ip-address: ${b}$1
  port: 53
remote-control:
  control-enable: yes
  control-interface: 127.0.0.1
  control-port: $((8970 + $1))
  server-key-file: "$tmp/nsd_server.key"
  server-cert-file: "$tmp/nsd_server.pem"
  control-key-file: "$tmp/nsd_control.key"
  control-cert-file: "$tmp/nsd_control.pem"
$2
EOF
}
nsd_conf 1 $'zone:\n  name: "."\n  zonefile: "root.zone"'
nsd_conf 2 $'zone:\n  name: "test."\n  zonefile: "test.zone"'
nsd_conf 3 "$zone_conf"
for n in 1 2 3; do
  nsd -d -c "$tmp/nsd$n.conf" >"$tmp/nsd$n.out" 2>&1 &
  pids+=($!)
done
for n in 1 2 3; do
  for _ in $(seq 50); do nsd-control -c "$tmp/nsd$n.conf" status >/dev/null 2>&1 && break; sleep 0.1; done
done
nsd_queries() {  # queries the hierarchy received since the last call (stats resets them)
  local total=0 n q
  for n in 1 2 3; do
    q=$(nsd-control -c "$tmp/nsd$n.conf" stats | awk -F= '$1 == "num.queries" { print $2 }')
    total=$((total + q))
  done
  echo "$total"
}
nsd_queries >/dev/null

# ---- the resolvers ----
cat >"$tmp/ballast.conf" <<EOF
setLocal("127.0.0.1:5396")
setSecurityPollSuffix("")
newResolver{name="bench", instances=2, rootHints={"${b}1"}, maxCacheEntries=1000000, dnssec="off"}
function maintenance()
  local f = io.open("$tmp/ballast.counters", "w")
  for k, v in pairs(getStatisticsCounters()) do f:write(k, " ", tostring(v), "\n") end
  f:close()
end
EOF
echo ". 3600000 IN NS a.root-servers.net." >"$tmp/root.hints"
echo "a.root-servers.net. 3600000 IN A ${b}1" >>"$tmp/root.hints"
cat >"$tmp/unbound.conf" <<EOF
server:
  interface: 127.0.0.1@5397
  port: 5397
  num-threads: 1
  do-ip6: no
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  chroot: ""
  username: ""
  directory: "$tmp"
  pidfile: "$tmp/unbound.pid"
  root-hints: "$tmp/root.hints"
  module-config: "iterator"
  # test. is one of unbound's built-in NXDOMAIN zones (RFC 6761): resolve it here.
  qname-minimisation: yes
  local-zone: "test." nodefault
  msg-cache-size: 64m
  rrset-cache-size: 128m
  use-syslog: no
  logfile: "$tmp/unbound.log"
EOF
cat >"$tmp/dnsdist.conf" <<EOF
setLocal("127.0.0.1:5398")
setSecurityPollSuffix("")
newServer{address="127.0.0.1:5397", checkName="a.root-servers.net."}
EOF

"$ballast_bin" -C "$tmp/ballast.conf" --supervised >"$tmp/ballast.out" 2>&1 &
ballast_pid=$!; pids+=($ballast_pid)
unbound -d -c "$tmp/unbound.conf" >"$tmp/unbound.out" 2>&1 &
unbound_pid=$!; pids+=($unbound_pid)
dnsdist --supervised --disable-syslog -C "$tmp/dnsdist.conf" >"$tmp/dnsdist.out" 2>&1 &
dnsdist_pid=$!; pids+=($dnsdist_pid)
sleep 2
nsd_queries >/dev/null  # start-up traffic (health checks, priming) left out

cold() {  # $1 port: resolves every name once, 200 queries/s, returns nsd's count
  dnsperf -s 127.0.0.1 -p "$1" -d "$tmp/names" -n 1 -Q 200 -c 1 >"$tmp/cold-$1.txt" 2>&1
  nsd_queries
}
ballast_cold=$(cold 5396)
unbound_cold=$(cold 5397)

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
warm() {  # $1 port, rest: pids whose CPU counts; prints "qps cpu_us_per_query"
  local port=$1; shift
  local before=0 after=0 p
  dnsperf -s 127.0.0.1 -p "$port" -d "$tmp/names" -l 2 -c 4 -q 500 ${qps:+-Q "$qps"} \
    >/dev/null 2>&1  # warm-up
  for p in "$@"; do before=$((before + $(cpu_ticks "$p"))); done
  dnsperf -s 127.0.0.1 -p "$port" -d "$tmp/names" -l "$duration" -c 4 -q 500 ${qps:+-Q "$qps"} \
    >"$tmp/warm-$port.txt" 2>&1
  for p in "$@"; do after=$((after + $(cpu_ticks "$p"))); done
  local done_q qps_seen
  done_q=$(awk '/Queries completed:/ { print $3 }' "$tmp/warm-$port.txt")
  qps_seen=$(awk '/Queries per second:/ { print $4 }' "$tmp/warm-$port.txt")
  awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v q="$done_q" -v qps="$qps_seen" \
    'BEGIN { printf "%s %.2f\n", qps, (q > 0 ? t / hz * 1e6 / q : 0) }'
}
ballast_qps=- ballast_cpu=- dnsdist_qps=- dnsdist_cpu=-
if ((!cold_only)); then
  read -r ballast_qps ballast_cpu < <(warm 5396 "$ballast_pid")
  read -r dnsdist_qps dnsdist_cpu < <(warm 5398 "$dnsdist_pid" "$unbound_pid")
fi

out="$repo_root/bench/results"
mkdir -p "$out"
report="$out/resolver-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  echo "resolver benchmark: $names names in $zones zones, warm runs of ${duration}s"
  printf '%-32s %12s %14s\n' "" "QPS (warm)" "cpu_us/query"
  printf '%-32s %12s %14s\n' "ballast embedded resolver" "$ballast_qps" "$ballast_cpu"
  printf '%-32s %12s %14s\n' "dnsdist + unbound" "$dnsdist_qps" "$dnsdist_cpu"
  echo
  awk -v b="$ballast_cold" -v u="$unbound_cold" -v n="$names" 'BEGIN {
    printf "cold: outgoing queries per resolution: ballast %.2f (%d), unbound %.2f (%d)\n",
      b / n, b, u / n, u }'
} | tee "$report"
