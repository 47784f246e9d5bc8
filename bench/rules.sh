#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/rules.sh: the cost of the rule engine (issue 10). Runs bench/run.sh (ballast only)
# once per scenario, each adding rules that match no benchmark query, so every query walks
# the whole chain and is still forwarded:
#
#   none      no rule
#   cpp10     10 C++ rules (a mix of qname, suffix, netmask, qtype+RD)
#   cpp100    100 C++ rules of the same mix
#   lua1      one LuaRule (the shared Lua state: one lock for every query thread)
#   ffi1      one LuaFFIPerThreadRule (a LuaJIT state per query thread, no lock)
#
# It drives dnsperf at full speed: run it on a quiet machine only. Usage:
#   bench/rules.sh [run.sh options, e.g. --duration 10 --rounds 3]
# Results: bench/results/rules-<scenario>/, run.sh's summary per scenario.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cpp_rules() {  # $1 rules, none matching the bench-N.example. A queries from 127.0.0.1
  local n=$1 i
  for ((i = 0; i < n; i++)); do
    case $((i % 4)) in
      0) echo "addAction(QNameRule(\"nomatch-$i.example.\"), DropAction())" ;;
      1) echo "addAction(QNameSuffixRule(\"nomatch-$i.invalid.\"), DropAction())" ;;
      2) echo "addAction(NetmaskGroupRule(\"192.0.2.$((i % 250))/32\"), DropAction())" ;;
      3) echo "addAction(AndRule{QTypeRule(DNSQType.TXT), RDRule()}, DropAction())" ;;
    esac
  done
}

: >"$tmp/none.lua"
cpp_rules 10 >"$tmp/cpp10.lua"
cpp_rules 100 >"$tmp/cpp100.lua"
echo 'addAction(LuaRule(function(dq) return dq.qtype == DNSQType.TXT end), DropAction())' >"$tmp/lua1.lua"
cat >"$tmp/ffi1.lua" <<'LUA'
addAction(LuaFFIPerThreadRule([[
  local ffi = require("ffi")
  return function(dq) return ffi.C.dnsdist_ffi_dnsquestion_get_qtype(dq) == 16 end
]]), DropAction())
LUA

scenarios=(none cpp10 cpp100 lua1 ffi1)
for s in "${scenarios[@]}"; do
  echo "=== scenario $s: $(wc -l <"$tmp/$s.lua") configuration line(s) added"
  BALLAST_BENCH_EXTRA_LUA="$tmp/$s.lua" \
    "$here/run.sh" --no-dnsdist --results-dir "$here/results/rules-$s" "$@"
done
echo "Summaries: $here/results/rules-{$(IFS=,; echo "${scenarios[*]}")}/"
