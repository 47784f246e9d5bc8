#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs a libFuzzer binary over a read-only seed corpus. libFuzzer adds new inputs to its
# first corpus directory only, so that is a scratch directory in the build tree and the
# committed seeds stay untouched; crash files land beside the scratch directory.
# Usage: run_libfuzzer.sh FUZZER SCRATCH_DIR SEED_DIR [libFuzzer flags...]
set -eu
fuzzer=$1
scratch=$2
seeds=$3
shift 3
mkdir -p "$scratch"
exec "$fuzzer" -artifact_prefix="$(dirname "$scratch")/" "$@" "$scratch" "$seeds"
