#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs every build and test dependency of ballast from Debian 12 packages.
# Non-interactive and idempotent: packages already present are left alone.
set -euo pipefail

packages=(
  build-essential pkg-config meson ninja-build
  clang-14 libclang-rt-14-dev          # libFuzzer targets and sanitizer builds
  libevent-dev libssl-dev libnghttp2-dev libluajit-5.1-dev libfmt-dev
  libsodium-dev doctest-dev
  libre2-dev                           # RE2Rule
  libcdb-dev tinycdb liblmdb-dev python3-lmdb  # key-value stores (CDB, LMDB) and their tests
  libfstrm-dev                         # dnstap over Frame Streams (newFrameStream*Logger)
  python3 python3-dnspython python3-pytest
  clang-format
  libedit-dev tmux                     # console client line editing; its interactive test
  libhiredis-dev redis-server redis-sentinel  # the shared cache tier on Redis and its tests
  nsd unbound                          # the fake hierarchy of the resolver tests; the peer compared with; unbound also serves DoT and DoH backends (test_encrypted_backends.py)
  nlohmann-json3-dev python3-prometheus-client     # web API JSON; /metrics test parser
  chromium chromium-driver python3-selenium        # dashboard browser test
  openssl                              # test certificates (test_dot.py, bench/tcp_memory.py)
  nghttp2-client knot-dnsutils python3-h2  # DoH tests and bench: h2load, kdig +https, h2
  ldnsutils                            # DNSSEC tests: ldns-keygen/-signzone sign zones at test time
  scdoc groff-base man-db              # man pages (man/): build, and the check of their rendering
  debhelper devscripts dpkg-dev lintian  # the Debian package: dist/build-deb.sh
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
