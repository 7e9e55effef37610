#!/bin/sh
# Install the Debian packages mboxsh needs, only those that are missing.
# Safe to run repeatedly; needs root (or sudo) on Debian 12.
set -e
PKGS="build-essential cmake pkg-config libdpdk-dev dpdk libedit-dev liblua5.4-dev lua5.4 \
libuv1-dev libhwloc-dev libcmocka-dev libpcap-dev ocl-icd-opencl-dev opencl-headers \
pocl-opencl-icd libnuma-dev python3 tcpdump"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $missing
