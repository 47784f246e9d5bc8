#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/run.sh: forwarding benchmark of ballast (and dnsdist, when installed)
# in front of a fast local unbound answering local-data, driven by dnsperf.
#
# Everything runs on loopback in the foreground of this script, with config
# files in a temporary directory, and every run is bounded in time. The main
# figure is the server's own CPU time per query (utime+stime from
# /proc/PID/stat over the measured run), because on a 2-core machine dnsperf
# saturates before the servers do. See bench/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/run.sh [options]

  --duration S        seconds of measured load per server and round (default 10)
  --warmup S          seconds of unmeasured load before each run (default 2)
  --rounds N          measure every server N times, alternating (default 1);
                      with N > 1 a median row per server is added
  --ballast PATH      ballast binary (default: build-release/daemon/ballast,
                      built by this script with meson/ninja)
  --ballast-args STR  ballast command line, {conf} replaced by the config path
                      (default: "--supervised -C {conf}", plus --disable-syslog
                      when the binary's --help lists it, as dnsdist's does)
  --no-ballast        skip ballast
  --no-dnsdist        skip dnsdist (even when installed)
  --direct            also measure dnsperf straight against unbound (no CPU figure)
  --qps N             fixed query rate (dnsperf -Q); default unlimited
  --tcp               queries over TCP (dnsperf -m tcp); the servers' binds get
                      maxInFlight=--max-in-flight so pipelined queries overlap
  --max-in-flight N   TCP queries worked on at once per connection (default 100)
  --clients N         dnsperf -c (default 4)
  --outstanding N     dnsperf -q (default 500)
  --threads N         dnsperf -T (default 1)
  --names N           distinct names bench-N.example. (default 5000)
  --cache             give both servers a packet cache (newPacketCache, same
                      options), so after the warm-up every query is a hit
  --ecs               the backend gets useClientSubnet=true on both servers: each
                      forwarded query carries the client's subnet (EDNS Client
                      Subnet), taken out of the answer again
  --no-latency        no per-query latency collection (dnsperf 2.10 needs -v
                      for it, which costs dnsperf some throughput)
  --server-cpu LIST   taskset CPU list of the server (default 0)
  --load-cpu LIST     taskset CPU list of dnsperf and unbound (default 1)
  --no-install        never call apt-get; fail if a tool is missing
  --results-dir DIR   where the summary is written (default bench/results)
  --keep-tmp          keep the temporary directory (configs, logs, raw dnsperf output)
  -h, --help          this text
EOF
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/.." && pwd)"

duration=10
warmup=2
rounds=1
ballast_bin=""
ballast_args=''
run_ballast=1
run_dnsdist=1
do_install=1
run_direct=0
qps=""
transport=udp
max_in_flight=100
clients=4
outstanding=500
threads=1
names=5000
measure_latency=1
server_cpu=0
load_cpu=1
results_dir="$here/results"
keep_tmp=0
use_cache=0
use_ecs=0

need_arg() { [ $# -ge 2 ] || { echo "run.sh: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) need_arg "$@"; duration=$2; shift 2 ;;
    --warmup) need_arg "$@"; warmup=$2; shift 2 ;;
    --rounds) need_arg "$@"; rounds=$2; shift 2 ;;
    --ballast) need_arg "$@"; ballast_bin=$2; shift 2 ;;
    --ballast-args) need_arg "$@"; ballast_args=$2; shift 2 ;;
    --no-ballast) run_ballast=0; shift ;;
    --no-dnsdist) run_dnsdist=0; shift ;;
    --direct) run_direct=1; shift ;;
    --qps) need_arg "$@"; qps=$2; shift 2 ;;
    --tcp) transport=tcp; shift ;;
    --max-in-flight) need_arg "$@"; max_in_flight=$2; shift 2 ;;
    --clients) need_arg "$@"; clients=$2; shift 2 ;;
    --outstanding) need_arg "$@"; outstanding=$2; shift 2 ;;
    --threads) need_arg "$@"; threads=$2; shift 2 ;;
    --names) need_arg "$@"; names=$2; shift 2 ;;
    --no-latency) measure_latency=0; shift ;;
    --server-cpu) need_arg "$@"; server_cpu=$2; shift 2 ;;
    --load-cpu) need_arg "$@"; load_cpu=$2; shift 2 ;;
    --no-install) do_install=0; shift ;;
    --results-dir) need_arg "$@"; results_dir=$2; shift 2 ;;
    --keep-tmp) keep_tmp=1; shift ;;
    --cache) use_cache=1; shift ;;
    --ecs) use_ecs=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

for v in duration warmup rounds clients outstanding threads names; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "run.sh: --$v must be a whole number" >&2; exit 2; }
done
for v in duration rounds clients outstanding threads names; do
  [ "${!v}" -gt 0 ] || { echo "run.sh: --$v must be > 0" >&2; exit 2; }
done
[ -z "$qps" ] || [[ $qps =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --qps must be a positive whole number" >&2; exit 2; }

UNBOUND_PORT=5390
BALLAST_PORT=5391
DNSDIST_PORT=5392
DNSPERF_TIMEOUT=2     # seconds before dnsperf counts a query as lost

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- install ---

pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

own_policy_rc=0
remove_policy_rc() {
  if [ "$own_policy_rc" = 1 ]; then
    "${sudo_cmd[@]}" rm -f /usr/sbin/policy-rc.d
    own_policy_rc=0
  fi
}

install_packages() {
  local wanted=(dnsperf unbound) missing=() p
  [ "$run_dnsdist" = 1 ] && wanted+=(dnsdist)
  [ "$run_ballast" = 1 ] && [ -z "$ballast_bin" ] && wanted+=(meson ninja-build)
  for p in "${wanted[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  if [ "$do_install" = 0 ]; then
    log "missing packages (not installing, --no-install): ${missing[*]}"
    return 0
  fi
  log "installing: ${missing[*]}"
  # The unbound and dnsdist packages would start system services on port 53:
  # forbid that with a policy-rc.d (exit 101), unless one is already there.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    own_policy_rc=1
    printf '#!/bin/sh\n# temporary, from ballast bench/run.sh\nexit 101\n' \
      | "${sudo_cmd[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo_cmd[@]}" chmod 755 /usr/sbin/policy-rc.d
  fi
  local apt_opts=(-y -q --no-install-recommends
                  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  # apt-get update only when the install fails without it (stale or no lists).
  if ! "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}" >&2; then
    "${sudo_cmd[@]}" apt-get update -q >&2
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}" >&2
  fi
  remove_policy_rc
  # Belt and braces: no system unbound/dnsdist should now be on port 53.
  if ss -Hlnup 2>/dev/null | grep -E 'unbound|dnsdist' | grep -q ':53 '; then
    log "warning: a system unbound/dnsdist service listens on port 53 (not started by this script)"
  fi
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

# utime+stime of a process (all its threads, live and exited), in clock
# ticks: fields 14 and 15 of /proc/PID/stat. The command name (field 2) may
# hold spaces and parentheses, so count from the last ')'.
cpu_ticks() {
  local stat rest
  stat=$(<"/proc/$1/stat") || return 1
  rest=${stat##*) }
  # rest starts at field 3 (state): field 14 is word 12, field 15 word 13.
  awk '{ print $12 + $13 }' <<<"$rest"
}

# Two figures for the server's CPU from /proc/stat, in ticks: busy time
# outside softirq (user nice system irq steal) and softirq time; "- -" when
# the server's CPU list is not a single CPU. Kernels with IRQ-time
# accounting (this project's VMs have it) charge softirq work to no process:
# on loopback, the softirq on the server's CPU is mostly the delivery of the
# datagrams the server sends, so it is reported per query beside the
# server's own utime+stime.
cpu_core_ticks() {
  [[ $server_cpu =~ ^[0-9]+$ ]] || { echo "- -"; return 0; }
  awk -v c="cpu$server_cpu" '$1 == c { print $2 + $3 + $4 + $7 + $9, $8; exit }' /proc/stat
}

port_busy() {
  ss -Hlnu "sport = :$1" 2>/dev/null | grep -q . || ss -Hlnt "sport = :$1" 2>/dev/null | grep -q .
}

# Wait until something answers bench-1.example. on 127.0.0.1:PORT.
wait_ready() {
  local port=$1 pid=$2 name=$3
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || die "$name exited during start-up; tail of $tmp/$name.log:
$(tail -n 20 "$tmp/$name.log" 2>/dev/null)"
    if dnsperf -s 127.0.0.1 -p "$port" -d "$tmp/probe.txt" -n 1 -t 1 2>/dev/null \
        | grep -q 'Queries completed: *1 '; then
      return 0
    fi
    sleep 0.2
  done
  die "$name did not answer on 127.0.0.1:$port within 20 s (see $tmp/$name.log)"
}

# ----------------------------------------------------------------- configs ---

write_unbound_conf() {
  {
    cat <<EOF
server:
  interface: 127.0.0.1
  port: $UNBOUND_PORT
  do-ip4: yes
  do-ip6: no
  do-udp: yes
  do-tcp: yes
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: "$tmp"
  pidfile: "$tmp/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 0
  num-threads: 1
  # Bursts of a few hundred queries must not overflow the socket buffer
  # (net.core.rmem_max permitting; unbound warns if it cannot).
  so-rcvbuf: 4m
  so-sndbuf: 4m
  num-queries-per-thread: 4096
  statistics-interval: 0
  # local-data is answered before the caches and the modules are consulted,
  # so unbound's own caching plays no part; keep the caches small anyway.
  msg-cache-size: 1m
  rrset-cache-size: 1m
  minimal-responses: yes
  # Never recurse: everything outside the zones below is REFUSED locally, so
  # unbound sends no query anywhere. a.root-servers.net. (dnsdist's default
  # health-check name) gets a local NOERROR answer.
  local-zone: "." refuse
  local-zone: "root-servers.net." static
  local-data: "a.root-servers.net. 3600 IN A 127.0.0.53"
  local-zone: "example." static
EOF
    awk -v n="$names" 'BEGIN {
      for (i = 1; i <= n; i++)
        printf "  local-data: \"bench-%d.example. 300 IN A 192.0.2.%d\"\n", i, (i % 254) + 1
    }'
    cat <<EOF
remote-control:
  control-enable: no
EOF
  } >"$tmp/unbound.conf"
  awk -v n="$names" 'BEGIN { for (i = 1; i <= n; i++) printf "bench-%d.example. A\n", i }' \
    >"$tmp/queries.txt"
  echo "bench-1.example. A" >"$tmp/probe.txt"
}

# ballast and dnsdist get the same configuration: plain forwarding to one
# backend, no console, no webserver, no security polling; with --cache, the
# same packet cache on the default pool.
write_lb_conf() {
  local name=$1 port=$2
  cat >"$tmp/$name.conf" <<EOF
-- $name configuration written by ballast bench/run.sh
setSecurityPollSuffix("")
addLocal("127.0.0.1:$port", {maxInFlight=$max_in_flight})
newServer{address="127.0.0.1:$UNBOUND_PORT"$([ "$use_ecs" = 1 ] && echo ", useClientSubnet=true")}
setMaxUDPOutstanding(65535)
EOF
  if [ "$use_cache" = 1 ]; then
    cat >>"$tmp/$name.conf" <<EOF
pc = newPacketCache($((names * 2)), {maxTTL=86400, minTTL=0})
getPool(""):setCache(pc)
EOF
  fi
  # bench/rules.sh: extra configuration for ballast only (rules under test).
  if [ "$name" = ballast ] && [ -n "${BALLAST_BENCH_EXTRA_LUA:-}" ]; then
    cat "$BALLAST_BENCH_EXTRA_LUA" >>"$tmp/$name.conf"
  fi
}

# ------------------------------------------------------------------ ballast ---

ballast_status=""
prepare_ballast() {
  if [ -n "$ballast_bin" ]; then
    [ -x "$ballast_bin" ] || die "--ballast $ballast_bin is not an executable file"
    ballast_bin=$(cd "$(dirname "$ballast_bin")" && pwd)/$(basename "$ballast_bin")
    return 0
  fi
  local bdir=$repo_root/build-release
  # The project's own dependency installer (idempotent: installs only what
  # is missing), so that a fresh machine can build.
  if [ "$do_install" = 1 ] && [ -x "$repo_root/dist/install-deps.sh" ]; then
    "$repo_root/dist/install-deps.sh" >&2 || log "warning: dist/install-deps.sh failed"
  fi
  log "building ballast in $bdir (release)"
  # The root meson.build silences GCC 12's false -Wrestrict at -O3, so release
  # builds keep -Werror like every other build.
  if [ ! -f "$bdir/build.ninja" ]; then
    if ! (cd "$repo_root" && meson setup build-release --buildtype=release) >"$tmp/meson-setup.log" 2>&1; then
      log "meson setup failed; tail of its log:"
      tail -n 15 "$tmp/meson-setup.log" >&2
      # Leave no half-configured directory behind: the next run retries.
      rm -rf "$bdir"
      return 1
    fi
  fi
  # Only the daemon: a unit test that does not compile must not block the bench.
  if ! ninja -C "$bdir" daemon/ballast >"$tmp/ninja.log" 2>&1; then
    log "ninja failed; tail of its log:"
    tail -n 25 "$tmp/ninja.log" >&2
    return 1
  fi
  ballast_bin=$bdir/daemon/ballast
  [ -x "$ballast_bin" ] || { log "build finished but $ballast_bin is missing"; return 1; }
}

# ------------------------------------------------------------------ measure ---

# How dnsperf reports latencies. dnsperf >= 2.11 built with histograms has
# "-O latency-histogram" (bucket lines "  0.000010 - 0.000011:  5" after
# "Latency bucket (s):   answer count"); Debian 12's 2.10.0 has not, so there
# we use -v, which prints one line per answer ("> NOERROR name A 0.000123"),
# giving exact percentiles at 1 us resolution for the price of some dnsperf
# CPU (roughly 10-15% fewer queries/s at saturation, the same for every
# server; --no-latency turns it off).
latency_mode() {
  if [ "$measure_latency" = 0 ]; then echo none
  elif dnsperf -H 2>&1 | grep -q 'latency-histogram'; then echo histogram
  else echo verbose
  fi
}

# Extract the number after "Key:" from dnsperf's output.
dp_field() { sed -n "s/^ *$1: *\([0-9.]*\).*/\1/p" "$2" | head -n 1; }

# Latency percentiles p50 p90 p99 p99.9 in ms from a dnsperf output file
# (nearest rank; with a histogram, the upper bound of the bucket holding it).
percentiles() {
  awk -v mode="$lat_mode" '
    mode == "histogram" && /Latency bucket \(s\):/ { inh = ($0 ~ /answer count/); next }
    mode == "histogram" && inh && $2 == "-" { ub[++n] = $3 + 0; c[n] = $4 + 0; next }
    mode == "histogram" && inh { inh = 0 }
    mode == "verbose" && /^> / && $NF ~ /^[0-9]+\.[0-9]+$/ {
      us = int($NF * 1e6 + 0.5); cnt[us]++; if (us > maxus) maxus = us
    }
    END {
      if (mode == "verbose")
        for (i = 0; i <= maxus; i++) if (i in cnt) { ub[++n] = i / 1e6; c[n] = cnt[i] }
      total = 0
      for (i = 1; i <= n; i++) total += c[i]
      if (total == 0) { print "- - - -"; exit }
      split("0.50 0.90 0.99 0.999", ps, " ")
      out = ""
      for (k = 1; k <= 4; k++) {
        target = ps[k] * total; cum = 0; v = ub[n]
        for (i = 1; i <= n; i++) { cum += c[i]; if (cum >= target) { v = ub[i]; break } }
        out = out sprintf("%s%.3f", (k > 1 ? " " : ""), v * 1000)
      }
      print out
    }' "$1"
}

dnsperf_cmd() {
  local port=$1 secs=$2
  local cmd=(taskset -c "$load_cpu" dnsperf -s 127.0.0.1 -p "$port" -d "$tmp/queries.txt"
             -c "$clients" -T "$threads" -q "$outstanding" -l "$secs" -t "$DNSPERF_TIMEOUT" -b 4096)
  [ -n "$qps" ] && cmd+=(-Q "$qps")
  [ "$transport" = tcp ] && cmd+=(-m tcp)
  printf '%s\n' "${cmd[@]}"
}

# One line per run: name qps completed lost p50 p90 p99 p999 us/q q/cpu_s util%
results=()

# measure NAME LABEL PORT PID(or empty for no CPU figure)
measure() {
  local name=$1 label=$2 port=$3 pid=$4
  local -a cmd
  if [ "$warmup" -gt 0 ]; then
    mapfile -t cmd < <(dnsperf_cmd "$port" "$warmup")
    log "$label: warm-up ${warmup}s"
    "${cmd[@]}" >"$tmp/$label.warmup.txt" 2>&1 || true
  fi
  mapfile -t cmd < <(dnsperf_cmd "$port" "$duration")
  case "$lat_mode" in
    histogram) cmd+=(-O latency-histogram) ;;
    verbose) cmd+=(-v) ;;
  esac
  log "$label: measuring ${duration}s: ${cmd[*]}"
  local out=$tmp/$label.dnsperf.txt t0=0 t1=0 b0 b1 si0 si1
  [ -n "$pid" ] && t0=$(cpu_ticks "$pid")
  read -r b0 si0 < <(cpu_core_ticks)
  "${cmd[@]}" >"$out" 2>&1 || { tail -n 30 "$out" >&2; die "dnsperf failed against $name"; }
  read -r b1 si1 < <(cpu_core_ticks)
  [ -n "$pid" ] && t1=$(cpu_ticks "$pid")
  [ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || die "$name died during the run (see $tmp/$name.log)"

  local completed lost runtime pct us qcpu util qps_done other sirq
  completed=$(dp_field 'Queries completed' "$out")
  lost=$(dp_field 'Queries lost' "$out")
  runtime=$(dp_field 'Run time (s)' "$out")
  if [ -z "$completed" ] || [ -z "$lost" ] || [ -z "$runtime" ]; then
    tail -n 30 "$out" >&2
    die "could not read dnsperf's output for $name"
  fi
  pct=$(percentiles "$out")
  if [ "$lat_mode" = verbose ] && [ "$keep_tmp" = 0 ]; then
    # The per-answer lines are large; keep only dnsperf's summary.
    grep -v '^> ' "$out" >"$out.summary" || true
    mv "$out.summary" "$out"
  fi
  # other% = busy time of the server's CPU outside softirq not spent by the
  # server (other processes, hypervisor steal): near 0 on a quiet machine; a
  # high value means the run was disturbed.
  read -r qps_done us sirq qcpu util other < <(awk -v d="$((t1 - t0))" -v hz="$clk_tck" -v q="$completed" \
    -v rt="$runtime" -v cpu="${pid:+1}" -v b0="$b0" -v b1="$b1" -v si0="$si0" -v si1="$si1" 'BEGIN {
      s = d / hz
      rate = (rt > 0) ? q / rt : 0
      if (b0 == "-" || rt <= 0) { o = "-"; si = "-" }
      else {
        o = 100 * ((b1 - b0) / hz - (cpu == 1 ? s : 0)) / rt; o = sprintf("%.0f", o < 0 ? 0 : o)
        si = (cpu == 1 && q > 0) ? sprintf("%.2f", (si1 - si0) / hz * 1e6 / q) : "-"
      }
      if (cpu == 1 && s > 0 && q > 0)
        printf "%.0f %.2f %s %.0f %.0f %s\n", rate, s * 1e6 / q, si, q / s, 100 * s / rt, o
      else
        printf "%.0f - - - - %s\n", rate, o
    }')
  results+=("$name $qps_done $completed $lost $pct $us $sirq $qcpu $util $other")
}

# start_server NAME PORT cmd...  -> sets server_pid
start_server() {
  local name=$1 port=$2; shift 2
  port_busy "$port" && die "port $port is already in use"
  taskset -c "$server_cpu" "$@" >>"$tmp/$name.log" 2>&1 </dev/null &
  server_pid=$!
  pids+=("$server_pid")
  wait_ready "$port" "$server_pid" "$name"
}

stop_server() {
  local pid=$1 p keep=()
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${pids[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}

# run_lb NAME PORT ROUND cmd...: start, warm up, measure, stop
run_lb() {
  local name=$1 port=$2 round=$3; shift 3
  start_server "$name" "$port" "$@"
  measure "$name" "$name.r$round" "$port" "$server_pid"
  stop_server "$server_pid"
}

# --------------------------------------------------------------------- main ---

install_packages
command -v dnsperf >/dev/null || die "dnsperf not found"
command -v unbound >/dev/null || die "unbound not found"
command -v taskset >/dev/null || die "taskset not found (util-linux)"
if [ "$run_dnsdist" = 1 ] && ! command -v dnsdist >/dev/null; then
  log "dnsdist not installed: skipping it"
  run_dnsdist=0
fi

lat_mode=$(latency_mode)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${load_before%% *}" 'BEGIN { exit !(l > 1.0) }'; then
  log "warning: load average $load_before: other work on this machine will disturb the figures (see other%)"
fi
tmp=$(mktemp -d /tmp/ballast-bench.XXXXXX)
log "work directory $tmp"

if [ "$run_ballast" = 1 ] && ! prepare_ballast; then
  log "ballast could not be built: skipping it"
  run_ballast=0
  ballast_status="not measured: the build failed"
fi

write_unbound_conf
write_lb_conf ballast "$BALLAST_PORT"
write_lb_conf dnsdist "$DNSDIST_PORT"
unbound-checkconf "$tmp/unbound.conf" >/dev/null || die "unbound-checkconf rejected $tmp/unbound.conf"

# Pinning. CPU 0 belongs to the server under test alone; dnsperf and unbound
# share CPU 1. The figure that matters (the server's own utime+stime per
# query) is then undisturbed by anything else on its core and does not
# depend on how fast unbound or dnsperf are; the price is that the absolute
# QPS is bounded by dnsperf + unbound on one core, the same for every server.
port_busy "$UNBOUND_PORT" && die "port $UNBOUND_PORT is already in use"
taskset -c "$load_cpu" unbound -d -c "$tmp/unbound.conf" >"$tmp/unbound.log" 2>&1 </dev/null &
unbound_pid=$!
pids+=("$unbound_pid")
wait_ready "$UNBOUND_PORT" "$unbound_pid" unbound

[ "$run_direct" = 1 ] && measure unbound-direct unbound-direct "$UNBOUND_PORT" ""

if [ "$run_ballast" = 1 ]; then
  if [ -z "$ballast_args" ]; then
    ballast_args='--supervised -C {conf}'
    if timeout 5 "$ballast_bin" --help 2>&1 | grep -q -- '--disable-syslog'; then
      ballast_args="--disable-syslog $ballast_args"
    fi
  fi
  log "ballast command: $ballast_bin $ballast_args"
  read -r -a bargs <<<"${ballast_args//\{conf\}/$tmp/ballast.conf}"
fi
# Alternate the servers round by round so that slow drifts of the machine
# (other tenants, thermal) hit both alike.
for ((r = 1; r <= rounds; r++)); do
  [ "$rounds" -gt 1 ] && log "round $r of $rounds"
  if [ "$run_ballast" = 1 ]; then
    run_lb ballast "$BALLAST_PORT" "$r" "$ballast_bin" "${bargs[@]}"
  fi
  if [ "$run_dnsdist" = 1 ]; then
    run_lb dnsdist "$DNSDIST_PORT" "$r" dnsdist --supervised --disable-syslog -C "$tmp/dnsdist.conf"
  fi
done

# ------------------------------------------------------------------ report ---

versions() {
  printf 'dnsperf %s, unbound %s' \
    "$(dnsperf -h 2>&1 | sed -n 's/^Version *//p' | head -n 1)" \
    "$(dpkg-query -W -f='${Version}' unbound 2>/dev/null || echo '?')"
  [ "$run_dnsdist" = 1 ] && printf ', dnsdist %s' "$(dpkg-query -W -f='${Version}' dnsdist 2>/dev/null || echo '?')"
  printf '\n'
  if [ "$run_ballast" = 1 ]; then
    printf 'ballast: %s (commit %s%s)\n' "$ballast_bin" \
      "$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo '?')" \
      "$(git -C "$repo_root" diff --quiet HEAD -- 2>/dev/null || echo ', work tree modified')"
  elif [ -n "$ballast_status" ]; then
    printf 'ballast: %s\n' "$ballast_status"
  fi
}

table() {
  awk -v rounds="$rounds" '
    function row(a, b, c, d, e, f, g, h, i, j, k, l, m) {
      printf "%-17s %7s %9s %6s %7s %7s %7s %8s %9s %10s %8s %5s %7s\n", a, b, c, d, e, f, g, h, i, j, k, l, m
    }
    BEGIN { row("server", "QPS", "completed", "lost", "p50_ms", "p90_ms", "p99_ms", "p99.9_ms", "cpu_us/q", "sirq_us/q", "q/cpu_s", "cpu%", "other%") }
    {
      if (!($1 in seen)) { seen[$1] = 1; order[++ns] = $1 }
      k = ++cnt[$1]
      row(rounds > 1 && $1 != "unbound-direct" ? $1 " #" k : $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
      for (f = 2; f <= 13; f++) v[$1, f, k] = $f
    }
    function median(s, f,    n, i, j, t, a, m) {
      n = cnt[s]
      for (i = 1; i <= n; i++) { a[i] = v[s, f, i]; if (a[i] == "-") return "-" }
      for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      m = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      return sprintf((f == 9 || f == 10 ? "%.2f" : (f >= 5 && f <= 8 ? "%.3f" : "%.0f")), m)
    }
    END {
      if (rounds > 1) {
        print ""
        for (i = 1; i <= ns; i++) {
          s = order[i]
          if (cnt[s] < 2) continue
          row(s " median", median(s, 2), median(s, 3), median(s, 4), median(s, 5), median(s, 6),
              median(s, 7), median(s, 8), median(s, 9), median(s, 10), median(s, 11), median(s, 12),
              median(s, 13))
        }
      }
    }'
}

report() {
  local mode="unlimited rate (no -Q)" latnote
  [ -n "$qps" ] && mode="fixed rate -Q $qps"
  case "$lat_mode" in
    histogram) latnote="latency from dnsperf -O latency-histogram (bucket upper bounds)" ;;
    verbose) latnote="latency from dnsperf -v per-answer times (exact, 1 us resolution)" ;;
    none) latnote="latency not collected (--no-latency)" ;;
  esac
  echo "ballast forwarding benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
  versions
  cache_words="no cache"; [ "$use_cache" = 1 ] && cache_words="packet cache: every measured query a hit"
  [ "$use_ecs" = 1 ] && cache_words="$cache_words, ECS added (useClientSubnet)"
  echo "path: dnsperf -> server ($cache_words) -> unbound local-data 127.0.0.1:$UNBOUND_PORT; ballast :$BALLAST_PORT, dnsdist :$DNSDIST_PORT"
  echo "load: dnsperf -c $clients -T $threads -q $outstanding -t $DNSPERF_TIMEOUT over $transport (maxInFlight=$max_in_flight), ${duration}s per run after ${warmup}s warm-up, $rounds round(s), $mode, $names names"
  echo "pinning: server on CPU $server_cpu alone; dnsperf and unbound share CPU $load_cpu"
  echo "load average before the runs: $load_before"
  echo "$latnote"
  echo
  printf '%s\n' "${results[@]}" | table
  echo
  echo "cpu_us/q = the server's utime+stime (/proc/PID/stat, all threads) over the measured run"
  echo "  / queries completed; q/cpu_s = its inverse; cpu% = that CPU time / run time."
  echo "sirq_us/q = softirq time on the server's CPU per query, charged to no process (mostly the"
  echo "  loopback delivery of the datagrams the server sends); not included in cpu_us/q."
  echo "other% = time the server's CPU spent outside softirq on anything but the server"
  echo "  (should be ~0; high = disturbed run)."
  echo "lost = queries unanswered after ${DNSPERF_TIMEOUT}s. At unlimited rate the latency is mostly queueing"
  echo "  (about outstanding / QPS); compare latency at a fixed --qps below saturation."
  echo "reference: dnsdist 1.7.3 ~13 us/q; floor ~7.4 us/q; ballast target <= 8 us/q."
}

((${#results[@]})) || die "nothing was measured"
mkdir -p "$results_dir"
out_file=$results_dir/$(date '+%Y-%m-%d_%H%M%S').txt
report | tee "$out_file"
log "summary written to $out_file"
