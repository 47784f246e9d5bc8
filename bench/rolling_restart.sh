#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/rolling_restart.sh: dnsperf against ballast's embedded resolver (4 instances,
# forwarding to a local unbound that answers every name under roll.example.) while the
# maintenance() function restarts every instance in turn (restartResolvers) every 2 s.
# Prints dnsperf's summary: "Queries lost: 0" and no SERVFAIL in the rcode lines is the
# pass mark (issue 11). Names are distinct, so most queries miss the record cache and are
# in flight at the forwarder when their instance is drained.
#
#   bench/rolling_restart.sh [--qps Q] [--seconds S] [--ballast PATH]
set -euo pipefail

qps=5000
seconds=20
ballast_bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --qps) qps=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --ballast) ballast_bin=$2; shift 2 ;;
    -h|--help) sed -n 3,11p "$0"; exit 0 ;;
    *) echo "rolling_restart.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $qps =~ ^[1-9][0-9]*$ && $seconds =~ ^[1-9][0-9]*$ ]] || { echo "numbers expected" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/.." && pwd)"
command -v dnsperf >/dev/null && command -v unbound >/dev/null ||
  { echo "rolling_restart.sh: needs dnsperf and unbound (bench/run.sh installs them)" >&2; exit 1; }
if [ -z "$ballast_bin" ]; then
  ballast_bin=$repo_root/build-release/daemon/ballast
  [ -f "$repo_root/build-release/build.ninja" ] ||
    (cd "$repo_root" && meson setup build-release --buildtype=release >/dev/null)
  ninja -C "$repo_root/build-release" daemon/ballast >/dev/null
fi

UNBOUND_PORT=5395
SERVER_PORT=5396
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP_LOGS:-}" ] && echo "logs in $tmp" && cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }

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
  local-zone: "." refuse
  local-zone: "roll.example." redirect
  local-data: "roll.example. 86400 IN A 192.0.2.1"
  # the health checks ask a.root-servers.net. A
  local-zone: "a.root-servers.net." static
  local-data: "a.root-servers.net. 86400 IN A 198.41.0.4"
remote-control:
  control-enable: no
EOF
awk -v n=$((qps * seconds)) 'BEGIN { for (i = 1; i <= n; i++) printf "n%d.roll.example. A\n", i }' \
  >"$tmp/names.txt"
unbound -d -c "$tmp/unbound.conf" >"$tmp/unbound.log" 2>&1 &
pids+=($!)
sleep 1

cat >"$tmp/ballast.conf" <<EOF
setSecurityPollSuffix("")
addLocal("127.0.0.1:$SERVER_PORT")
newResolver{name="local", instances=4, dnssec="off", forwardZones={["."]={"127.0.0.1:$UNBOUND_PORT"}}}
local last = os.time()
function maintenance()
  if os.time() - last >= 2 then
    restartResolvers("local")
    last = os.time()
  end
end
EOF
"$ballast_bin" --supervised -C "$tmp/ballast.conf" >"$tmp/ballast.log" 2>&1 &
pids+=($!)
sleep 1
dnsperf -s 127.0.0.1 -p $SERVER_PORT -d "$tmp/names.txt" -n 1 -Q "$qps" -l "$seconds" -t 3 -c 20 \
  | sed -n '/Statistics/,$p'
echo "restarts during the run: $(grep -c 'restarted (restartResolvers)' "$tmp/ballast.log")"
