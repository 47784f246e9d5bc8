#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/redis_tier.sh: the figures of the shared cache tier on Redis (issue 18), in one run,
# on loopback: a redis-server without persistence, a local unbound answering every name
# under tier.example. (redirect zone), ballast nodes (release build) with a packet cache,
# with or without redis= on it, and dnsperf. See bench/README.md, "Shared cache tier".
#
#   a. miss:    distinct names at a fixed rate, every query a local miss (and a Redis miss):
#               ballast's CPU per query and dnsperf's latency, without and with the tier.
#   b. hit:     node A fills Redis; a fresh node B (tier) answers the same names from Redis,
#               a node C (no tier) from the backend: latency, QPS, CPU per query.
#   c. restart: dnsperf at a fixed rate to node 1 while nodes 2 and 3 are restarted
#               (SIGTERM, start again), then to node 2 while node 1 is; sent/completed/lost,
#               and the Redis hits of each restarted node on names the others resolved.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/redis_tier.sh [options]

  --ballast PATH       ballast binary (default: build-release/daemon/ballast, built
                       with meson/ninja when missing)
  --qps N              fixed rate of the latency runs of a. and b. (default 10000)
  --seconds S          seconds per measured run of a. and b. (default 5)
  --rounds N           repeat a. and b. N times, variants alternating (default 1)
  --restart-qps N      rate of the load in c. (default 5000)
  --restart-seconds S  length of each load stream of c. (default 12)
  --warm-names N       names asked of a restarted node right after it is back (default 1000)
  --budget MS          redisTimeout of the tier (default 5, the tier's default)
  --tls                the tier over TLS (rediss://): redis-server serving TLS only, with a
                       test CA and certificates made by openssl
  --parts LIST         which parts to run, of a,b,c (default a,b,c)
  --server-cpu LIST    taskset CPU list of the ballast nodes (default 0)
  --load-cpu LIST      taskset CPU list of dnsperf, unbound and redis-server (default 1)
  --no-install         never call apt-get; fail if a tool is missing
  --results-dir DIR    where the summary is written (default bench/results)
  --keep-tmp           keep the temporary directory (configs, logs, dnsperf output)
  -h, --help           this text
EOF
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/.." && pwd)"

ballast_bin=""
qps=10000
seconds=5
rounds=1
restart_qps=5000
restart_seconds=12
warm_names=1000
budget=5
parts=a,b,c
server_cpu=0
load_cpu=1
do_install=1
results_dir="$here/results"
keep_tmp=0
tls=0

need_arg() { [ $# -ge 2 ] || { echo "redis_tier.sh: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --ballast) need_arg "$@"; ballast_bin=$2; shift 2 ;;
    --qps) need_arg "$@"; qps=$2; shift 2 ;;
    --seconds) need_arg "$@"; seconds=$2; shift 2 ;;
    --rounds) need_arg "$@"; rounds=$2; shift 2 ;;
    --restart-qps) need_arg "$@"; restart_qps=$2; shift 2 ;;
    --restart-seconds) need_arg "$@"; restart_seconds=$2; shift 2 ;;
    --warm-names) need_arg "$@"; warm_names=$2; shift 2 ;;
    --budget) need_arg "$@"; budget=$2; shift 2 ;;
    --parts) need_arg "$@"; parts=$2; shift 2 ;;
    --server-cpu) need_arg "$@"; server_cpu=$2; shift 2 ;;
    --load-cpu) need_arg "$@"; load_cpu=$2; shift 2 ;;
    --no-install) do_install=0; shift ;;
    --results-dir) need_arg "$@"; results_dir=$2; shift 2 ;;
    --keep-tmp) keep_tmp=1; shift ;;
    --tls) tls=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "redis_tier.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
for v in qps seconds rounds restart_qps restart_seconds warm_names budget; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "redis_tier.sh: --${v//_/-} must be a positive whole number" >&2; exit 2; }
done
[[ $parts =~ ^[abc](,[abc])*$ ]] || { echo "redis_tier.sh: --parts takes a comma list of a, b, c" >&2; exit 2; }
part() { [[ ,$parts, == *,$1,* ]]; }

UNBOUND_PORT=5420
REDIS_PORT=5421
NODE_PORT0=5422       # nodes get 5422, 5423, ...
DNSPERF_TIMEOUT=2     # seconds before dnsperf counts a query as lost
ZONE=tier.example.

log() { printf '[redis-tier] %s\n' "$*" >&2; }
die() { printf '[redis-tier] error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- install ---

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
own_policy_rc=0
remove_policy_rc() {
  if [ "$own_policy_rc" = 1 ]; then "${sudo_cmd[@]}" rm -f /usr/sbin/policy-rc.d; own_policy_rc=0; fi
}
install_packages() {
  local missing=() p
  for p in dnsperf unbound redis-server; do pkg_installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  [ "$do_install" = 1 ] || die "missing packages (--no-install): ${missing[*]}"
  log "installing: ${missing[*]}"
  # unbound and redis-server would start system services: forbid it (policy-rc.d exit 101).
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    own_policy_rc=1
    printf '#!/bin/sh\n# temporary, from ballast bench/redis_tier.sh\nexit 101\n' \
      | "${sudo_cmd[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo_cmd[@]}" chmod 755 /usr/sbin/policy-rc.d
  fi
  local apt_opts=(-y -q --no-install-recommends
                  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  if ! "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}" >&2; then
    "${sudo_cmd[@]}" apt-get update -q >&2
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}" >&2
  fi
  remove_policy_rc
}

# ----------------------------------------------------------------- helpers ---

tmp=""
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  remove_policy_rc
  if [ -n "$tmp" ] && [ -d "$tmp" ]; then
    if [ "$keep_tmp" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

clk_tck=$(getconf CLK_TCK)

# utime+stime of a process, all threads, in clock ticks (fields 14 and 15 of
# /proc/PID/stat, counted from the last ')' since the command name may hold spaces).
cpu_ticks() {
  local stat rest
  stat=$(<"/proc/$1/stat") || return 1
  rest=${stat##*) }
  awk '{ print $12 + $13 }' <<<"$rest"
}

port_busy() {
  ss -Hlnu "sport = :$1" 2>/dev/null | grep -q . || ss -Hlnt "sport = :$1" 2>/dev/null | grep -q .
}

# Number after "Key:" in dnsperf's output.
dp_field() { sed -n "s/^ *$1: *\([0-9.]*\).*/\1/p" "$2" | head -n 1; }

# p50 p90 p99 p99.9 in ms (nearest rank) from dnsperf -v output ("> NOERROR name A 0.000123").
percentiles() {
  awk '/^> / && $NF ~ /^[0-9]+\.[0-9]+$/ { us = int($NF * 1e6 + 0.5); cnt[us]++; if (us > m) m = us; total++ }
    END {
      if (total == 0) { print "- - - -"; exit }
      split("0.50 0.90 0.99 0.999", ps, " ")
      for (k = 1; k <= 4; k++) {
        target = ps[k] * total; cum = 0
        for (i = 0; i <= m; i++) if (i in cnt) { cum += cnt[i]; if (cum >= target) break }
        printf "%s%.3f", (k > 1 ? " " : ""), i / 1000
      }
      printf "\n"
    }' "$1"
}

# names FILE PREFIX COUNT: COUNT distinct names PREFIX-I.tier.example. A
names() {
  awk -v p="$2" -v n="$3" -v z="$ZONE" 'BEGIN { for (i = 1; i <= n; i++) printf "%s-%d.%s A\n", p, i, z }' >"$1"
}

# wait_ready PORT PID NAME: until something answers on 127.0.0.1:PORT.
wait_ready() {
  local port=$1 pid=$2 name=$3
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || die "$name exited during start-up; tail of its log:
$(tail -n 20 "$tmp/$name.log" 2>/dev/null)"
    if dnsperf -s 127.0.0.1 -p "$port" -d "$tmp/probe.txt" -n 1 -t 1 2>/dev/null \
        | grep -q 'Queries completed: *1 '; then
      return 0
    fi
    sleep 0.1
  done
  die "$name did not answer on 127.0.0.1:$port within 15 s (see $tmp/$name.log)"
}

redis_cli() {
  if [ "$tls" = 1 ]; then
    redis-cli --tls --cacert "$tmp/ca.crt" -h 127.0.0.1 -p "$REDIS_PORT" "$@"
  else
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"
  fi
}

# make_certs: a test CA and a certificate for 127.0.0.1 signed by it (--tls).
make_certs() {
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -keyout "$tmp/ca.key" -out "$tmp/ca.crt" -days 2 \
    -subj "/CN=bench CA" 2>/dev/null
  openssl req "${ec[@]}" -keyout "$tmp/redis.key" -out "$tmp/redis.csr" -subj /CN=redis \
    2>/dev/null
  echo "subjectAltName=IP:127.0.0.1" >"$tmp/redis.ext"
  openssl x509 -req -in "$tmp/redis.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
    -CAcreateserial -out "$tmp/redis.crt" -days 2 -extfile "$tmp/redis.ext" 2>/dev/null
}

# --------------------------------------------------------------- processes ---

start_unbound() {
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
  logfile: ""
  verbosity: 0
  num-threads: 1
  so-rcvbuf: 4m
  so-sndbuf: 4m
  num-queries-per-thread: 4096
  minimal-responses: yes
  # Never recurses: every name under $ZONE gets the same A (redirect), the
  # health checks' a.root-servers.net. gets one, everything else is REFUSED.
  local-zone: "." refuse
  local-zone: "$ZONE" redirect
  local-data: "$ZONE 300 IN A 192.0.2.1"
  local-zone: "a.root-servers.net." static
  local-data: "a.root-servers.net. 3600 IN A 198.41.0.4"
remote-control:
  control-enable: no
EOF
  unbound-checkconf "$tmp/unbound.conf" >/dev/null || die "unbound-checkconf rejected $tmp/unbound.conf"
  port_busy "$UNBOUND_PORT" && die "port $UNBOUND_PORT is already in use"
  taskset -c "$load_cpu" unbound -d -c "$tmp/unbound.conf" >"$tmp/unbound.log" 2>&1 </dev/null &
  unbound_pid=$!
  pids+=("$unbound_pid")
  wait_ready "$UNBOUND_PORT" "$unbound_pid" unbound
}

start_redis() {
  port_busy "$REDIS_PORT" && die "port $REDIS_PORT is already in use"
  local listen=(--port "$REDIS_PORT")
  if [ "$tls" = 1 ]; then
    make_certs
    listen=(--port 0 --tls-port "$REDIS_PORT" --tls-cert-file "$tmp/redis.crt"
      --tls-key-file "$tmp/redis.key" --tls-ca-cert-file "$tmp/ca.crt" --tls-auth-clients no)
  fi
  # A cache: no persistence, every key has a TTL.
  taskset -c "$load_cpu" redis-server --bind 127.0.0.1 "${listen[@]}" --save "" \
    --appendonly no --dir "$tmp" --protected-mode no --maxmemory 512mb \
    --maxmemory-policy volatile-ttl >"$tmp/redis.log" 2>&1 </dev/null &
  redis_pid=$!
  pids+=("$redis_pid")
  for _ in $(seq 1 100); do
    [ "$(redis_cli ping 2>/dev/null)" = PONG ] && return 0
    kill -0 "$redis_pid" 2>/dev/null || die "redis-server exited: $(tail -n 5 "$tmp/redis.log")"
    sleep 0.1
  done
  die "redis-server did not answer PING"
}

# write_conf NAME PORT TIER(0|1): one node's configuration. maintenance() writes the
# statistics counters to $tmp/NAME.counters once a second.
write_conf() {
  local name=$1 port=$2 tier=$3 opts="maxTTL=86400, minTTL=0"
  if [ "$tier" = 1 ] && [ "$tls" = 1 ]; then
    opts="$opts, redis=\"rediss://127.0.0.1:$REDIS_PORT/0\", redisTLSCA=\"$tmp/ca.crt\""
    opts="$opts, redisTimeout=$budget"
  elif [ "$tier" = 1 ]; then
    opts="$opts, redis=\"redis://127.0.0.1:$REDIS_PORT/0\", redisTimeout=$budget"
  fi
  cat >"$tmp/$name.conf" <<EOF
-- $name, written by ballast bench/redis_tier.sh
setSecurityPollSuffix("")
addLocal("127.0.0.1:$port")
newServer{address="127.0.0.1:$UNBOUND_PORT"}
setMaxUDPOutstanding(65535)
pc = newPacketCache(1000000, {$opts})
getPool(""):setCache(pc)
__seq = 0
function maintenance()
  __seq = __seq + 1
  local f = io.open("$tmp/$name.counters.tmp", "w")
  if f == nil then return end
  f:write("__seq ", __seq, "\n")
  for k, v in pairs(getStatisticsCounters()) do f:write(k, " ", tostring(v), "\n") end
  f:close()
  os.rename("$tmp/$name.counters.tmp", "$tmp/$name.counters")
end
EOF
}

declare -A node_pid node_port
# start_node NAME PORT TIER: (re)starts a node on the server CPU, waits until it answers.
start_node() {
  local name=$1 port=$2 tier=$3
  [ -f "$tmp/$name.conf" ] || write_conf "$name" "$port" "$tier"
  port_busy "$port" && die "port $port is already in use"
  rm -f "$tmp/$name.counters"
  taskset -c "$server_cpu" "$ballast_bin" "${ballast_extra[@]}" --supervised -C "$tmp/$name.conf" \
    >>"$tmp/$name.log" 2>&1 </dev/null &
  node_pid[$name]=$!
  node_port[$name]=$port
  pids+=("${node_pid[$name]}")
  wait_ready "$port" "${node_pid[$name]}" "$name"
}

# stop_node NAME: SIGTERM, then waits for the exit (SIGKILL after 10 s).
stop_node() {
  local pid=${node_pid[$1]} p keep=()
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null && log "$1 did not stop within 10 s of SIGTERM: killed"
  wait "$pid" 2>/dev/null || true
  for p in "${pids[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}

# counter NAME KEY: from the node's latest snapshot (0 when absent).
counter() {
  awk -v k="$2" '$1 == k { v = $2 } END { print (v == "" ? 0 : v) }' "$tmp/$1.counters" 2>/dev/null || echo 0
}

# fresh NAME: waits for a snapshot written after this call (the sequence moves by 2).
fresh() {
  local s0 s
  s0=$(counter "$1" __seq)
  for _ in $(seq 1 60); do
    s=$(counter "$1" __seq)
    [ "$s" -ge $((s0 + 2)) ] && return 0
    sleep 0.1
  done
  log "warning: no fresh counters from $1"
}

COUNTERS=(redis-hits redis-misses redis-timeouts redis-skipped redis-writes redis-writes-dropped
          cache-hits cache-misses responses redis-latency-count redis-latency-sum)
# snap NAME: the counters above, one line.
snap() {
  local k vals=()
  for k in "${COUNTERS[@]}"; do vals+=("$(counter "$1" "$k")"); done
  echo "${vals[*]}"
}
# delta "BEFORE" "AFTER": "key=+n ..." for the counters that moved.
delta() {
  local -a b a
  read -r -a b <<<"$1"
  read -r -a a <<<"$2"
  local i moved=()
  for i in "${!COUNTERS[@]}"; do
    [[ ${COUNTERS[i]} == redis-latency-* ]] && continue
    (( a[i] - b[i] != 0 )) && moved+=("${COUNTERS[i]}=$((a[i] - b[i]))")
  done
  # The tier's own lookup time (queue, GET, reply), answered lookups only.
  local n=$(( a[9] - b[9] )) sum=$(( a[10] - b[10] ))
  [ "$n" -gt 0 ] && moved+=("lookup_avg_us=$(( sum / n ))")
  echo "${moved[*]:-none}"
}
delta_of() { # delta_of KEY "BEFORE" "AFTER"
  local -a b a
  read -r -a b <<<"$2"
  read -r -a a <<<"$3"
  local i
  for i in "${!COUNTERS[@]}"; do [ "${COUNTERS[i]}" = "$1" ] && { echo $((a[i] - b[i])); return; }; done
  echo 0
}

# dnsperf_run OUT PORT FILE RATE(or -) SECS [extra...]: one pass over FILE (-n 1), bounded by SECS.
dnsperf_run() {
  local out=$1 port=$2 file=$3 rate=$4 secs=$5; shift 5
  local cmd=(taskset -c "$load_cpu" dnsperf -s 127.0.0.1 -p "$port" -d "$file" -n 1 -l "$secs"
             -c 4 -q 500 -t "$DNSPERF_TIMEOUT" -b 4096 "$@")
  [ "$rate" = - ] || cmd+=(-Q "$rate")
  echo "${cmd[*]}" >"$out.cmd"
  "${cmd[@]}" >"$out" 2>&1 || { tail -n 20 "$out" >&2; die "dnsperf failed ($out)"; }
}

# One row per measurement.
rows=()

# measure LABEL NODE FILE RATE(or -): dnsperf (-v for latency) over FILE against NODE,
# the node's CPU over the run and its counter deltas.
measure() {
  local label=$1 node=$2 file=$3 rate=$4
  local pid=${node_pid[$node]} port=${node_port[$node]} out=$tmp/$label.dnsperf.txt t0 t1 c0 c1
  fresh "$node"
  c0=$(snap "$node")
  log "$label: ${rate/-/unlimited} q/s over $(wc -l <"$file") names to $node"
  t0=$(cpu_ticks "$pid")
  dnsperf_run "$out" "$port" "$file" "$rate" $((seconds + 30)) -v
  t1=$(cpu_ticks "$pid")
  kill -0 "$pid" 2>/dev/null || die "$node died during $label (see $tmp/$node.log)"
  fresh "$node"
  c1=$(snap "$node")
  local completed lost runtime sent pct
  sent=$(dp_field 'Queries sent' "$out")
  completed=$(dp_field 'Queries completed' "$out")
  lost=$(dp_field 'Queries lost' "$out")
  runtime=$(dp_field 'Run time (s)' "$out")
  [ -n "$completed" ] && [ -n "$runtime" ] || { tail -n 20 "$out" >&2; die "could not read dnsperf's output ($out)"; }
  pct=$(percentiles "$out")
  if [ "$keep_tmp" = 0 ]; then grep -v '^> ' "$out" >"$out.s" || true; mv "$out.s" "$out"; fi
  local row
  row=$(awk -v d="$((t1 - t0))" -v hz="$clk_tck" -v q="$completed" -v rt="$runtime" 'BEGIN {
      s = d / hz; printf "%.0f %s", (rt > 0 ? q / rt : 0), (q > 0 ? sprintf("%.2f", s * 1e6 / q) : "-") }')
  rows+=("$label ${rate/-/max} $row $sent $completed $lost $pct | $(delta "$c0" "$c1")")
}

# ------------------------------------------------------------------- parts ---

# a. Extra CPU and latency per local miss: distinct names (local miss, Redis miss).
part_a() {
  local r v tier
  for ((r = 1; r <= rounds; r++)); do
    for v in notier tier; do
      tier=0; [ "$v" = tier ] && tier=1
      names "$tmp/a$r-$v.txt" "a$r$v" $((qps * seconds))
      names "$tmp/a$r-$v-warm.txt" "a$r${v}w" $((qps))
      start_node "a-$v" $NODE_PORT0 "$tier"
      dnsperf_run "$tmp/a$r-$v-warm.dnsperf.txt" "${node_port[a-$v]}" "$tmp/a$r-$v-warm.txt" "$qps" 3
      measure "a.miss.$v.r$r" "a-$v" "$tmp/a$r-$v.txt" "$qps"
      stop_node "a-$v"
    done
  done
}

# b. Hit from Redis (B) vs from the backend (C): A fills Redis with the names first.
part_b() {
  local r n=$((qps * seconds)) want got
  for ((r = 1; r <= rounds; r++)); do
    names "$tmp/b$r-fixed.txt" "b${r}f" "$n"
    names "$tmp/b$r-max.txt" "b${r}m" "$n"
    cat "$tmp/b$r-fixed.txt" "$tmp/b$r-max.txt" >"$tmp/b$r-fill.txt"
    start_node "b-A" $NODE_PORT0 1
    want=$(( $(redis_cli dbsize) + 2 * n ))
    log "b.r$r: node A fills Redis with $((2 * n)) names"
    dnsperf_run "$tmp/b$r-fill.dnsperf.txt" "${node_port[b-A]}" "$tmp/b$r-fill.txt" $((2 * qps)) $((seconds + 30))
    for _ in $(seq 1 100); do got=$(redis_cli dbsize); [ "$got" -ge "$want" ] && break; sleep 0.1; done
    [ "$got" -ge "$want" ] || log "warning: Redis holds $got keys, $want expected (writes dropped?)"
    fresh b-A
    rows+=("b.fill.A.r$r $((2 * qps)) - - - - - - - - - | redis keys $got of $want; writes=$(counter b-A redis-writes) dropped=$(counter b-A redis-writes-dropped)")
    stop_node "b-A"
    # B and C one after the other on the same CPU, fresh; same names, same rates.
    start_node "b-B" $NODE_PORT0 1
    measure "b.hit.B-redis.r$r" b-B "$tmp/b$r-fixed.txt" "$qps"
    measure "b.hit.B-redis.max.r$r" b-B "$tmp/b$r-max.txt" -
    stop_node "b-B"
    start_node "b-C" $NODE_PORT0 0
    measure "b.miss.C-backend.r$r" b-C "$tmp/b$r-fixed.txt" "$qps"
    measure "b.miss.C-backend.max.r$r" b-C "$tmp/b$r-max.txt" -
    stop_node "b-C"
  done
}

# warm_check NODE NAMESFILE LABEL: right after NODE is back, asks it the first
# --warm-names names of a stream another node has been answering (so in Redis).
warm_check() {
  local node=$1 file=$2 label=$3 c0 c1 out=$tmp/$3.warm.dnsperf.txt
  head -n "$warm_names" "$file" >"$tmp/$label.warm.txt"
  # A snapshot after the start-up probe (one Redis lookup of its own); nothing else asks
  # the node in between.
  fresh "$node"
  c0=$(snap "$node")
  dnsperf_run "$out" "${node_port[$node]}" "$tmp/$label.warm.txt" 2000 10
  fresh "$node"
  c1=$(snap "$node")
  rows+=("$label.warm 2000 - - $(dp_field 'Queries sent' "$out") $(dp_field 'Queries completed' "$out") $(dp_field 'Queries lost' "$out") - - - - | $node: $(delta "$c0" "$c1")")
  warm_summary+=("$node back after $(cat "$tmp/$label.downtime") s: $(delta_of redis-hits "$c0" "$c1") Redis hits, $(delta_of redis-misses "$c0" "$c1") misses, $(delta_of responses "$c0" "$c1") backend answers, of $warm_names names")
}

# restart NODE LABEL: SIGTERM, start again, time it.
restart() {
  local node=$1 label=$2 t0 t1
  t0=$(date +%s.%N)
  stop_node "$node"
  start_node "$node" "${node_port[$node]}" 1
  # The counters file appears with the first maintenance().
  for _ in $(seq 1 30); do [ -f "$tmp/$node.counters" ] && break; sleep 0.1; done
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }' >"$tmp/$label.downtime"
}

# stream LABEL NODE: background dnsperf at --restart-qps to NODE over distinct names.
stream_start() {
  local label=$1 node=$2
  names "$tmp/$label.txt" "$label" $((restart_qps * restart_seconds))
  dnsperf_run "$tmp/$label.dnsperf.txt" "${node_port[$node]}" "$tmp/$label.txt" "$restart_qps" \
    "$restart_seconds" &
  stream_pid=$!
  stream_t0=$(date +%s)
}
stream_end() {
  local label=$1 node=$2 out=$tmp/$1.dnsperf.txt
  wait "$stream_pid" || die "dnsperf stream $label failed"
  local left=$(( stream_t0 + restart_seconds - $(date +%s) ))
  rows+=("$label $restart_qps - - $(dp_field 'Queries sent' "$out") $(dp_field 'Queries completed' "$out") $(dp_field 'Queries lost' "$out") - - - - | to $node: $(sed -n 's/^ *Response codes: *//p' "$out")")
  [ "$left" -ge 0 ] || log "warning: the restarts outlasted stream $label; use a longer --restart-seconds"
}

# c. Rolling restart of three tier nodes under load.
part_c() {
  start_node c-n1 $NODE_PORT0 1
  start_node c-n2 $((NODE_PORT0 + 1)) 1
  start_node c-n3 $((NODE_PORT0 + 2)) 1
  sleep 1
  log "c: stream 1 to c-n1 at $restart_qps q/s for ${restart_seconds}s; restarting c-n2, then c-n3"
  stream_start c.stream1 c-n1
  sleep 2
  restart c-n2 c.n2; warm_check c-n2 "$tmp/c.stream1.txt" c.n2
  restart c-n3 c.n3; warm_check c-n3 "$tmp/c.stream1.txt" c.n3
  stream_end c.stream1 c-n1
  log "c: stream 2 to c-n2 at $restart_qps q/s for ${restart_seconds}s; restarting c-n1"
  stream_start c.stream2 c-n2
  sleep 2
  restart c-n1 c.n1; warm_check c-n1 "$tmp/c.stream2.txt" c.n1
  stream_end c.stream2 c-n2
  stop_node c-n1; stop_node c-n2; stop_node c-n3
}

# -------------------------------------------------------------------- main ---

install_packages
for t in dnsperf unbound redis-server redis-cli taskset openssl; do
  command -v "$t" >/dev/null || die "$t not found"
done
if [ -z "$ballast_bin" ]; then
  ballast_bin=$repo_root/build-release/daemon/ballast
  if [ ! -x "$ballast_bin" ]; then
    log "building ballast in $repo_root/build-release (release)"
    [ -f "$repo_root/build-release/build.ninja" ] ||
      (cd "$repo_root" && meson setup build-release --buildtype=release >&2)
    ninja -C "$repo_root/build-release" daemon/ballast >&2
  fi
fi
[ -x "$ballast_bin" ] || die "--ballast $ballast_bin is not an executable file"
ballast_extra=()
timeout 5 "$ballast_bin" --help 2>&1 | grep -q -- '--disable-syslog' && ballast_extra=(--disable-syslog)

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
awk -v l="${load_before%% *}" 'BEGIN { exit !(l > 1.0) }' &&
  log "warning: load average $load_before: other work on this machine disturbs the figures"
tmp=$(mktemp -d /tmp/ballast-redis-tier.XXXXXX)
log "work directory $tmp"
echo "probe.$ZONE A" >"$tmp/probe.txt"

start_unbound
start_redis
warm_summary=()
part a && part_a
part b && part_b
part c && part_c

# ------------------------------------------------------------------ report ---

report() {
  echo "ballast shared cache tier benchmark (issue 18), $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
  printf 'dnsperf %s, unbound %s, redis-server %s\n' \
    "$(dnsperf -h 2>&1 | sed -n 's/^Version *//p' | head -n 1)" \
    "$(dpkg-query -W -f='${Version}' unbound 2>/dev/null || echo '?')" \
    "$(dpkg-query -W -f='${Version}' redis-server 2>/dev/null || echo '?')"
  printf 'ballast: %s (commit %s%s)\n' "$ballast_bin" \
    "$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "$(git -C "$repo_root" diff --quiet HEAD -- 2>/dev/null || echo ', work tree modified')"
  echo "nodes on CPU $server_cpu; dnsperf (-c 4 -q 500 -t $DNSPERF_TIMEOUT), unbound and redis-server on CPU $load_cpu"
  echo "packet cache 1000000 entries on every node; tier: redis=127.0.0.1:$REDIS_PORT$([ "$tls" = 1 ] && echo ' over TLS (rediss://)'), redisTimeout=$budget ms"
  echo "parts $parts, $rounds round(s), ${seconds}s per run at $qps q/s; restarts under $restart_qps q/s"
  echo "load average before the runs: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  printf '%-24s %5s %6s %8s %7s %9s %5s %7s %7s %7s %8s  %s\n' run rate QPS cpu_us/q sent completed lost \
    p50_ms p90_ms p99_ms p99.9_ms "counter deltas"
  local r
  for r in "${rows[@]}"; do
    local head=${r%% | *} tail=${r#* | }
    # shellcheck disable=SC2086
    printf '%-24s %5s %6s %8s %7s %9s %5s %7s %7s %7s %8s  %s\n' $head "$tail"
  done
  if [ "$rounds" -gt 1 ]; then
    echo
    echo "medians over the $rounds rounds:"
    printf '%s\n' "${rows[@]}" | awk '
      $1 ~ /\.r[0-9]+$/ && $3 != "-" {
        k = $1; sub(/\.r[0-9]+$/, "", k)
        if (!(k in n)) order[++nk] = k
        i = ++n[k]; for (f = 3; f <= 11; f++) v[k, f, i] = $f
      }
      function med(k, f,    i, j, t, a, c) {
        c = n[k]; for (i = 1; i <= c; i++) a[i] = v[k, f, i] + 0
        for (i = 2; i <= c; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return (c % 2) ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
      }
      END {
        for (x = 1; x <= nk; x++) {
          k = order[x]
          printf "%-24s %5s %6.0f %8.2f %7s %9s %5s %7.3f %7.3f %7.3f %8.3f\n", k, "", med(k, 3), med(k, 4), "", "", "", med(k, 8), med(k, 9), med(k, 10), med(k, 11)
        }
      }'
  fi
  echo
  ((${#warm_summary[@]})) && printf 'restarted: %s\n' "${warm_summary[@]}" && echo
  echo "cpu_us/q = the node's utime+stime (/proc/PID/stat, all threads, the tier's too) over"
  echo "  the run / queries completed. a.: every query a local miss (tier: and a Redis miss);"
  echo "  b.: B answers from Redis, C from the backend; max = unlimited rate (QPS is then"
  echo "  dnsperf's, unbound's and redis-server's CPU as much as the node's). Latency: dnsperf -v."
  echo "c.: lost = queries of the stream unanswered after ${DNSPERF_TIMEOUT}s; a restarted node is asked"
  echo "  $warm_names names the stream's node resolved before (rate 2000 q/s) right after it is back."
}

((${#rows[@]})) || die "nothing was measured"
mkdir -p "$results_dir"
out_file=$results_dir/redis-tier-$(date '+%Y-%m-%d_%H%M%S').txt
report | tee "$out_file"
log "summary written to $out_file"
