#!/usr/bin/env bash
# Installs (or with --uninstall removes) Switchyard: the binary, the systemd unit,
# the sysusers and tmpfiles entries and an example config. Idempotent: running it
# twice changes nothing the second time; an existing config is never overwritten.
#
#   deploy/install.sh [--prefix /usr/local] [--binary PATH] [--root DIR] [--no-systemctl] [--uninstall]
set -euo pipefail

prefix=/usr/local
binary=""
root=""
systemctl=yes
action=install
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=$2; shift 2 ;;
        --binary) binary=$2; shift 2 ;;
        --root) root=$2; shift 2 ;;
        --no-systemctl) systemctl=no; shift ;;
        --uninstall) action=uninstall; shift ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

here=$(cd "$(dirname "$0")" && pwd)
[ -n "$binary" ] || binary="$here/../.build/release/switchyard"
bindir="$root$prefix/bin"
unitdir="$root/etc/systemd/system"
sysusersdir="$root/usr/lib/sysusers.d"
tmpfilesdir="$root/usr/lib/tmpfiles.d"
confdir="$root/etc/switchyard"
docdir="$root$prefix/share/doc/switchyard"
run_systemctl() { if [ "$systemctl" = yes ] && [ -z "$root" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then systemctl "$@"; fi; }

if [ "$action" = uninstall ]; then
    run_systemctl disable --now switchyard.service || true
    run_systemctl disable --now switchyard.socket || true
    rm -f "$bindir/switchyard" "$unitdir/switchyard.service" "$unitdir/switchyard.socket" "$sysusersdir/switchyard.conf" "$tmpfilesdir/switchyard.conf"
    rm -rf "$docdir"
    run_systemctl daemon-reload || true
    echo "removed switchyard (config in $confdir and state in /var/lib/switchyard are kept)"
    exit 0
fi

[ -x "$binary" ] || { echo "install.sh: no executable at $binary (build with: swift build -c release)" >&2; exit 1; }
install -d -m 0755 "$bindir" "$unitdir" "$sysusersdir" "$tmpfilesdir"
install -m 0755 "$binary" "$bindir/switchyard"
install -d -m 0755 "$docdir"
install -m 0644 "$here/../README.md" "$docdir/README.md"
sed "s|/usr/local/|$prefix/|g" "$here/switchyard.service" > "$unitdir/switchyard.service.new"
chmod 0644 "$unitdir/switchyard.service.new"
mv "$unitdir/switchyard.service.new" "$unitdir/switchyard.service"
install -m 0644 "$here/switchyard.socket" "$unitdir/switchyard.socket"
install -m 0644 "$here/switchyard.sysusers" "$sysusersdir/switchyard.conf"
install -m 0644 "$here/switchyard.tmpfiles" "$tmpfilesdir/switchyard.conf"
install -d -m 0755 "$confdir"
install -d -m 0700 "$confdir/credentials"
# An empty token file, so LoadCredential= finds it; the operator writes the token into it.
[ -e "$confdir/credentials/hf-token" ] || install -m 0600 /dev/null "$confdir/credentials/hf-token"
[ -e "$confdir/switchyard.yaml" ] || install -m 0644 "$here/switchyard.yaml" "$confdir/switchyard.yaml"
if [ -z "$root" ]; then
    command -v systemd-sysusers >/dev/null && systemd-sysusers "$sysusersdir/switchyard.conf" || true
    command -v systemd-tmpfiles >/dev/null && systemd-tmpfiles --create "$tmpfilesdir/switchyard.conf" || true
fi
run_systemctl daemon-reload || true
echo "installed switchyard to $bindir; config: $confdir/switchyard.yaml; start with: systemctl enable --now switchyard (or switchyard.socket for socket activation)"
