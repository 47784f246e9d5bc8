#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/cache_memory.sh: memory per packet-cache entry of ballast (and dnsdist
# when installed). Each server gets a cache larger than N, then dnsperf sends
# N distinct A queries once (through the server to a local unbound answering
# every name under mem.example.); the server's RSS before and after, divided
# by the entries the cache reports, is the cost of one entry.
#
#   bench/cache_memory.sh [--entries N] [--qps Q] [--ballast PATH] [--no-dnsdist]
set -euo pipefail

entries=1000000
qps=40000
ballast_bin=""
run_dnsdist=1
while [ $# -gt 0 ]; do
  case "$1" in
    --entries) entries=$2; shift 2 ;;
    --qps) qps=$2; shift 2 ;;
    --ballast) ballast_bin=$2; shift 2 ;;
    --no-dnsdist) run_dnsdist=0; shift ;;
    -h|--help) sed -n 3,10p "$0"; exit 0 ;;
    *) echo "cache_memory.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $entries =~ ^[1-9][0-9]*$ && $qps =~ ^[1-9][0-9]*$ ]] || { echo "numbers expected" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/.." && pwd)"
command -v dnsperf >/dev/null && command -v unbound >/dev/null ||
  { echo "cache_memory.sh: needs dnsperf and unbound (bench/run.sh installs them)" >&2; exit 1; }
if [ -z "$ballast_bin" ]; then
  ballast_bin=$repo_root/build-release/daemon/ballast
  [ -f "$repo_root/build-release/build.ninja" ] ||
    (cd "$repo_root" && meson setup build-release --buildtype=release >/dev/null)
  ninja -C "$repo_root/build-release" daemon/ballast >/dev/null
fi
command -v dnsdist >/dev/null || run_dnsdist=0

UNBOUND_PORT=5393
SERVER_PORT=5394
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/unbound.conf" <<EOF
server:
  interface: 127.0.0.1
  port: $UNBOUND_PORT
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: "$tmp"
  pidfile: "$tmp/unbound.pid"
  use-syslog: no
  verbosity: 0
  num-threads: 1
  so-rcvbuf: 4m
  msg-cache-size: 1m
  rrset-cache-size: 1m
  local-zone: "." refuse
  local-zone: "root-servers.net." static
  local-data: "a.root-servers.net. 3600 IN A 127.0.0.53"
  local-zone: "mem.example." redirect
  local-data: "mem.example. 86400 IN A 192.0.2.1"
remote-control:
  control-enable: no
EOF
awk -v n="$entries" 'BEGIN { for (i = 1; i <= n; i++) printf "n%d.mem.example. A\n", i }' >"$tmp/names.txt"
echo "probe.mem.example. A" >"$tmp/probe.txt"
unbound -d -c "$tmp/unbound.conf" >"$tmp/unbound.log" 2>&1 &
pids+=($!)
sleep 1

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

measure() {
  local name=$1; shift
  cat >"$tmp/$name.conf" <<EOF
setSecurityPollSuffix("")
addLocal("127.0.0.1:$SERVER_PORT")
newServer{address="127.0.0.1:$UNBOUND_PORT"}
pc = newPacketCache($((entries + entries / 10)), {maxTTL=86400})
getPool(""):setCache(pc)
function maintenance()
  local f = io.open("$tmp/$name.entries", "w")
  f:write(tostring(pc:getStats()["entries"]))
  f:close()
end
EOF
  "$@" "$tmp/$name.conf" >"$tmp/$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 50); do
    dnsperf -s 127.0.0.1 -p $SERVER_PORT -d "$tmp/probe.txt" -n 1 -t 1 2>/dev/null |
      grep -q 'Queries completed: *1 ' && break
    sleep 0.2
  done
  sleep 1
  local before after count
  before=$(rss_kb "$pid")
  dnsperf -s 127.0.0.1 -p $SERVER_PORT -d "$tmp/names.txt" -n 1 -Q "$qps" -q 2000 -t 5 \
    >"$tmp/$name.dnsperf" 2>&1 || true
  sleep 2.5  # maintenance() writes the entry count once a second
  after=$(rss_kb "$pid")
  count=$(cat "$tmp/$name.entries")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  awk -v n="$name" -v b="$before" -v a="$after" -v c="$count" \
    -v done="$(awk '/Queries completed/ { print $3 }' "$tmp/$name.dnsperf")" 'BEGIN {
      printf "%-8s entries %8d (queries completed %s)  RSS %7.1f MB -> %7.1f MB  %6.1f bytes/entry\n",
        n, c, done, b / 1024, a / 1024, (c > 0 ? (a - b) * 1024 / c : 0) }'
}

measure ballast "$ballast_bin" --supervised -C
[ "$run_dnsdist" = 1 ] && measure dnsdist dnsdist --supervised --disable-syslog -C
exit 0
