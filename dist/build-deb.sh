#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the Debian package of ballast from this checkout (committed or not) and checks it
# with lintian. Usage: dist/build-deb.sh [OUTDIR]   (default build-deb/); the .deb lands
# in OUTDIR. DEB_BUILD_OPTIONS passes through (nocheck skips the unit tests).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$repo/build-deb}" && cd "${1:-$repo/build-deb}" && pwd)

"$repo/dist/install-deps.sh"

version=$(dpkg-parsechangelog -l "$repo/debian/changelog" -S Version)
src="$out/ballast-$version"
rm -rf "$src"
mkdir -p "$src"
# The tracked and new files of the work tree, without builds and caches (.gitignore).
git -C "$repo" ls-files -z --cached --others --exclude-standard |
  (cd "$repo" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
  tar -C "$repo" --null -T - -cf - | tar -C "$src" -xf -

# debhelper gives the build a HOME of its own: keep ccache's cache where it was.
if command -v ccache >/dev/null; then
  CCACHE_DIR=${CCACHE_DIR:-$(ccache -k cache_dir)}
  export CCACHE_DIR
fi
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-}
(cd "$src" && nice dpkg-buildpackage -us -uc -b)

deb="$out/ballast_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).deb"
lintian --fail-on error,warning "$deb"
echo "built $deb"
