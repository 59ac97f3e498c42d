#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install-qemu.sh: install a QEMU that runs our guests correctly, 8.0 or
# newer, for the architecture of WB_ARCH.
#
# QEMU 7.2, Debian 12's own, keeps translated code of a page alive after
# an s390x guest has rewritten the page with MVC (memcpy), as the module
# loader does: its probe of the destination invalidates only the
# translations at the first byte of each 256-byte chunk ("Add 'size'
# param to probe_access_flags", QEMU 8.0, fixed it).  A module loaded
# into the pages of one just unloaded can then run the old module's
# instructions: test-shadow.sh did, at random, and oopsed with an
# "illegal operation" in the new module's text.  Any kernel is exposed,
# ours and vanilla alike.
#
# On Debian 12 the newer QEMU comes from bookworm-backports, added at the
# address of the machine's own Debian archive.  Backports are
# NotAutomatic: nothing else is ever taken from there unless asked for,
# and what was asked for is kept up to date from there.  A newer Debian
# has a recent enough QEMU of its own.
set -e
. "$(dirname "$0")/lib.sh"

QEMU_MIN=8.0
case $WB_ARCH in
x86_64) PKG=qemu-system-x86 BIN=qemu-system-x86_64 ;;
s390x)	PKG=qemu-system-s390x BIN=qemu-system-s390x ;;
*)	die "no QEMU for $WB_ARCH" ;;
esac

qemu_version()
{
	command -v "$BIN" >/dev/null || return 0
	"$BIN" --version | sed -n '1s/^QEMU emulator version \([0-9.]*\).*/\1/p'
}

recent_enough()
{
	local v
	v=$(qemu_version)
	[ -n "$v" ] && [ "$(printf '%s\n' "$QEMU_MIN" "$v" | sort -V | head -1)" = "$QEMU_MIN" ]
}

recent_enough && exit 0

codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
if [ "$codename" = bookworm ]; then
	suite=bookworm-backports
	list=/etc/apt/sources.list.d/klp-wb-$suite.sources
	if [ ! -f "$list" ]; then
		uri=$(debian_archive)
		[ -n "$uri" ] || die "no Debian archive in this machine's apt sources"
		cat > "$list.new" <<EOF
# Added by the livepatch workbench (workbench/install-qemu.sh) for QEMU
# 8.0 or newer: see there.  Backports are NotAutomatic, apt takes nothing
# else from them.
#
# Check-Valid-Until: a mirror that serves a frozen copy of the archive has
# a Valid-Until date in the past.  The packages are still checked against
# the hashes in the signed index.
Types: deb
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
Check-Valid-Until: no
EOF
		mv "$list.new" "$list"
	fi
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends -t "$suite" "$PKG"
else
	apt_install "$PKG"
fi
recent_enough ||
	die "$BIN is $(qemu_version), the workbench needs QEMU $QEMU_MIN or newer"
