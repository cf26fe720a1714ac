#!/bin/sh
# Installs the Debian packages onega's build, tests, bench and demo need.
# Idempotent: packages already present are not touched.  Needs root for apt.
set -e
PKGS="make musl-tools gcc clang dpkg-dev libspice-protocol-dev python3
qemu-system-x86 qemu-utils qemu-guest-agent e2fsprogs cpio zstd
xz-utils kmod ca-certificates python3-gi gir1.2-spiceclientglib-2.0
libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients busybox-static
iproute2"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "setup: need root to install:$missing" >&2
	exit 1
fi
echo "setup: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
