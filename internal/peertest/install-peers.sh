#!/bin/sh
# install-peers.sh installs the FTP servers internal/peertest runs.
# PACKAGES are installed with apt-get. EXTRACT conflict with vsftpd (they all
# provide ftp-server), so they are downloaded and unpacked into the peer
# directory ($WHARF_PEER_DIR, default ~/.cache/wharf/peers) and never installed
# or started as services. Needs root for apt-get install.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${WHARF_PEER_DIR:-$HOME/.cache/wharf/peers}
export DEBIAN_FRONTEND=noninteractive
if [ ! -x /usr/sbin/vsftpd ] || [ ! -x "$dir/root/usr/sbin/proftpd" ] || [ ! -x "$dir/root/usr/sbin/pure-ftpd" ]; then
	apt-get update -qq
fi
# shellcheck disable=SC2046
apt-get install -y -qq --no-install-recommends $(grep -v '^#' "$here/PACKAGES") >/dev/null
if [ ! -x "$dir/root/usr/sbin/proftpd" ] || [ ! -x "$dir/root/usr/sbin/pure-ftpd" ]; then
	mkdir -p "$dir/debs" "$dir/root"
	cd "$dir/debs"
	# shellcheck disable=SC2046
	apt-get download -qq $(grep -v '^#' "$here/EXTRACT") 2>/dev/null
	for deb in ./*.deb; do dpkg -x "$deb" "$dir/root"; done
fi
# Debian's vsftpd package may start a system service; the tests run their own.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now vsftpd >/dev/null 2>&1 || true; fi
echo "peers ready: vsftpd, $dir/root/usr/sbin/proftpd, $dir/root/usr/sbin/pure-ftpd"
