#!/usr/bin/env bash
# Boots a minimal Debian 12 with systemd-nspawn, installs Switchyard in it with
# deploy/install.sh and runs inside.sh under the container's real systemd.
#   Tests/nspawn/boot-test.sh BUILD_DIR   (the directory holding switchyard and switchyard-sim)
# The Debian tree is made once with debootstrap and cached in $SWITCHYARD_NSPAWN_CACHE
# (default /var/tmp/switchyard-nspawn); each boot runs on a throwaway overlay of it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(cd "${1:?usage: boot-test.sh BUILD_DIR}" && pwd)
cache=${SWITCHYARD_NSPAWN_CACHE:-/var/tmp/switchyard-nspawn}
packages=systemd,systemd-sysv,dbus,libcurl4,libsqlite3-0,curl,procps
tree=$cache/bookworm-$(echo "$packages" | sha1sum | cut -c1-8)
# The daemon links the Swift runtime statically; the simulator does not, so the toolchain's
# library directory (its runpath's absolute entry) is bound into the container at the same path.
swiftlib=$(readelf -d "$bin/switchyard-sim" | sed -n 's/.*runpath: \[\(.*\)\]/\1/p' | awk -F: '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; exit } }')

for tool in systemd-nspawn debootstrap; do
    command -v $tool >/dev/null || { echo "boot-test: $tool is missing (make deps installs systemd-container and debootstrap)"; exit 1; }
done
if [ ! -x "$tree/lib/systemd/systemd" ]; then
    echo "boot-test: building the Debian tree in $tree (once per machine)"
    mkdir -p "$cache"
    rm -rf "$tree.partial"
    debootstrap --variant=minbase --include="$packages" bookworm "$tree.partial" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 \
        || { tail -20 "$cache/debootstrap.log"; echo "boot-test: debootstrap failed (is deb.debian.org reachable?)"; exit 1; }
    mv "$tree.partial" "$tree"
fi
# /run is not a tmpfs on these machines, and nspawn keeps its state under /run/systemd/nspawn.
if ! mountpoint -q /run/systemd/nspawn; then
    mkdir -p /run/systemd/nspawn
    mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn
fi
out=$(mktemp -d /tmp/sy-nspawn-XXXXXX)
trap 'rm -rf "$out"' EXIT
started=$(date +%s)
# No host systemd to register with: --register=no --keep-unit. Private network: loopback only.
timeout "${SWITCHYARD_NSPAWN_TIMEOUT:-240}" systemd-nspawn --quiet --register=no --keep-unit --boot --volatile=overlay --private-network \
    --directory="$tree" --machine=switchyard-test \
    --bind-ro="$repo:/src" --bind-ro="$bin:/sybin" ${swiftlib:+--bind-ro="$swiftlib"} --bind="$out:/out" \
    --bind-ro="$here/switchyard-boot-test.service:/etc/systemd/system/switchyard-boot-test.service" \
    systemd.wants=switchyard-boot-test.service \
    >"$out/console.log" 2>&1 || echo "boot-test: systemd-nspawn exited with $?"
echo "boot-test: container ran for $(( $(date +%s) - started )) s"
if [ ! -s "$out/results.txt" ]; then
    echo "boot-test: the container wrote no results; its console:"
    cp "$out/console.log" /tmp/switchyard-nspawn-console.log
    tail -40 "$out/console.log"
    echo "(whole console: /tmp/switchyard-nspawn-console.log)"
    exit 1
fi
cat "$out/results.txt"
grep -q '^RESULT: pass' "$out/results.txt"
