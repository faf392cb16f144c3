#!/usr/bin/env bash
# Builds the Debian packages with the standard tools, checks them with
# lintian (no error allowed), installs them on this machine, runs a real group
# transfer with the installed tallow and purges them again
# (tests/pkg/deb_install.sh; the packages are purged on failure too).
#
# The build runs on a copy of the source tree in a temporary directory (the
# files git tracks or would track, as they are in the work tree; nothing from
# build directories), so the work tree is left untouched.
# usage: scripts/deb-test.sh [--keep DIR]   (DIR: keep the .deb files there)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keep=
[ "${1:-}" = --keep ] && keep=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/tallow-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/tallow"
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -C "$work/tallow" -xf -

echo "-- dpkg-buildpackage -us -uc -b"
start=$(date +%s)
if ! (cd "$work/tallow" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
    >"$work/build.log" 2>&1; then
    tail -60 "$work/build.log"
    echo "deb-test: dpkg-buildpackage failed"
    exit 1
fi
echo "   built in $(($(date +%s) - start)) s:"
(cd "$work" && ls -1 ./*.deb)

echo "-- lintian"
# Errors fail; warnings and informational tags are printed.
lrc=0
lintian --fail-on error "$work"/tallow_*.changes >"$work/lintian.out" 2>&1 || lrc=$?
grep -v '^running with root privileges' "$work/lintian.out" || true
if [ $lrc -ne 0 ]; then
    echo "deb-test: lintian reported errors (status $lrc)"
    exit 1
fi
echo "   lintian: $(grep -c '^E:' "$work/lintian.out" || true) errors, $(grep -c '^W:' "$work/lintian.out" || true) warnings"

[ -n "$keep" ] && mkdir -p "$keep" && cp "$work"/*.deb "$work"/*.changes "$keep"/

echo "-- install, transfer, purge"
bash "$root/tests/pkg/deb_install.sh" "$work"
