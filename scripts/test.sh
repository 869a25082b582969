#!/usr/bin/env bash
# test.sh runs Wharf's whole test suite, interop tests included.
#
# Run as root, it first installs the FTP peers and clients the interop tests
# drive (once; later runs only check with dpkg-query and take a second):
#   - apt-get install: the clients (curl, lftp, rclone, python3-pyftpdlib),
#     vsftpd and everything in internal/peertest/PACKAGES;
#   - apt-get download + dpkg -x into the peer directory ($WHARF_PEER_DIR,
#     default ~/.cache/wharf/peers): internal/peertest/EXTRACT (proftpd-core
#     and pure-ftpd, which conflict with vsftpd as "ftp-server" and are never
#     installed or started as services).
# Not root, it installs nothing; missing peers then skip their tests, or fail
# them when CI=true.
#
# Then it runs `go test -race ./...` with WHARF_INTEROP=1. Extra arguments go
# to go test, e.g. scripts/test.sh -run Interop ./internal/remote/.
# WHARF_SKIP_INSTALL=1 skips the install step.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
# go needs HOME (or GOCACHE) for its build cache; CI may run without it.
if [[ -z ${HOME:-} ]]; then
	HOME=$(getent passwd "$(id -u)" | cut -d: -f6)
	export HOME=${HOME:-/root}
fi
peertest=$root/internal/peertest
peerdir=${WHARF_PEER_DIR:-$HOME/.cache/wharf/peers}

# Clients and helpers the tests run, besides the peers internal/peertest lists.
base_pkgs=(ca-certificates openssl curl lftp rclone python3 python3-pyftpdlib vsftpd)

log=$(mktemp "${TMPDIR:-/tmp}/wharf-install.XXXXXX.log")
trap 'rm -f "$log"' EXIT

say() { printf 'test.sh: %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
	say "go not found on PATH: install Go $(sed -n 's/^go //p' go.mod) first"
	exit 1
fi

# Wait for a dpkg lock held by another apt (unattended-upgrades on a fresh
# machine) instead of failing at once.
apt_opts=(-o DPkg::Lock::Timeout=300)

# listfile prints the package names in a PACKAGES-style file (one per line,
# # comments), or nothing when it does not exist.
listfile() {
	[[ -f $1 ]] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]//g' "$1" | grep -v '^$' || true
}

installed() {
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

# extracted reports whether every EXTRACT peer binary is unpacked.
extracted() {
	local want=()
	mapfile -t want < <(listfile "$peertest/EXTRACT")
	if ((${#want[@]} == 0)); then
		return 0
	fi
	[[ -x $peerdir/root/usr/sbin/proftpd && -x $peerdir/root/usr/sbin/pure-ftpd ]]
}

fail_install() {
	say "installing test peers failed; apt output:"
	cat "$log" >&2
	exit 1
}

install_peers() {
	if [[ ${WHARF_SKIP_INSTALL:-} == 1 ]]; then
		return
	fi
	if ((EUID != 0)); then
		say "not root: installing no test peers (missing ones skip their tests, or fail them under CI=true)"
		return
	fi
	local pkgs=() missing=() p
	mapfile -t pkgs < <(printf '%s\n' "${base_pkgs[@]}"; listfile "$peertest/PACKAGES")
	for p in "${pkgs[@]}"; do
		installed "$p" || missing+=("$p")
	done
	if ((${#missing[@]} == 0)) && extracted; then
		return
	fi
	say "installing test peers (log: apt output is shown only on failure)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get "${apt_opts[@]}" update >>"$log" 2>&1 || fail_install
	if ((${#missing[@]} > 0)); then
		say "apt-get install ${missing[*]}"
		# A policy-rc.d that exits 101 keeps Debian from starting vsftpd
		# as a system service on port 21; the tests start their own.
		local policy=/usr/sbin/policy-rc.d made_policy=0
		if [[ ! -e $policy ]]; then
			printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
		fi
		local ok=1
		apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1 || ok=0
		if ((made_policy)); then
			rm -f "$policy"
		fi
		if ((!ok)); then
			fail_install
		fi
	fi
	if ! extracted; then
		local extract=()
		mapfile -t extract < <(listfile "$peertest/EXTRACT")
		say "apt-get download + dpkg -x ${extract[*]} into $peerdir/root"
		mkdir -p "$peerdir/debs" "$peerdir/root"
		(cd "$peerdir/debs" && apt-get download "${extract[@]}") >>"$log" 2>&1 || fail_install
		local deb
		for deb in "$peerdir"/debs/*.deb; do
			dpkg -x "$deb" "$peerdir/root" >>"$log" 2>&1 || fail_install
		done
		extracted || { say "peers still missing after extraction"; fail_install; }
	fi
	say "test peers ready"
}

install_peers

export WHARF_INTEROP=1
export WHARF_PEER_DIR=$peerdir
if (($# == 0)); then
	set -- ./...
fi
say "go test -race -p 2 -timeout 20m $*"
rm -f "$log" # exec skips the EXIT trap
exec go test -race -p 2 -timeout 20m "$@"
