#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-source.sh: install the kernel source package that
# workbench/linux-source names, at exactly the version it records.
#
# The package lives in a Debian suite that a Debian 12 machine does not
# use (experimental).  That suite is added at the address of the machine's
# own Debian archive, as its sources say it, and pinned so that apt never
# takes any other package from it.  The compilers, QEMU and everything
# else stay the machine's own.
#
# The downloaded .deb is kept in the cache: experimental keeps only the
# newest upload of a package, and a machine that has the recorded version
# keeps working after the archive has moved on.  A machine that has not
# gets a message that says what the archive offers now.
set -e
. "$(dirname "$0")/lib.sh"

LIST=/etc/apt/sources.list.d/klp-wb-$SOURCE_SUITE.sources
PIN=/etc/apt/preferences.d/klp-wb-$SOURCE_SUITE
DEB_DIR=$WB_CACHE/debs/source

installed_version()
{
	dpkg-query -W -f '${Status} ${Version}' "$SOURCE_PACKAGE" 2>/dev/null |
		sed -n 's/^install ok installed //p'
}

# The cached .deb of the recorded version, if any.
cached_deb()
{
	local deb
	for deb in "$DEB_DIR"/"$SOURCE_PACKAGE"_*.deb; do
		[ -f "$deb" ] || continue
		if [ "$(dpkg-deb -f "$deb" Package)" = "$SOURCE_PACKAGE" ] &&
		   [ "$(dpkg-deb -f "$deb" Version)" = "$SOURCE_VERSION" ]; then
			echo "$deb"
			return 0
		fi
	done
	return 1
}

add_suite()
{
	local uri
	uri=$(debian_archive)
	[ -n "$uri" ] || die "no Debian archive in this machine's apt sources"
	cat > "$LIST.new" <<EOF
# Added by the livepatch workbench (workbench/fetch-source.sh) for
# $SOURCE_PACKAGE only; $PIN keeps every other
# package of this suite out.
#
# Check-Valid-Until: a mirror that serves a frozen copy of the archive has
# a Valid-Until date in the past.  The package is still checked against
# the hash in the signed index.
Types: deb
URIs: $uri
Suites: $SOURCE_SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
Check-Valid-Until: no
EOF
	cat > "$PIN.new" <<EOF
# Added by the livepatch workbench (workbench/fetch-source.sh): nothing
# from $SOURCE_SUITE is ever installed but $SOURCE_PACKAGE, and that
# only at the version the workbench asks for.  A record that names the
# package overrides the one for all (apt_preferences(5)).
Package: *
Pin: release o=Debian,a=$SOURCE_SUITE
Pin-Priority: -10

Package: $SOURCE_PACKAGE
Pin: release o=Debian,a=$SOURCE_SUITE
Pin-Priority: 100
EOF
	mv "$PIN.new" "$PIN"
	mv "$LIST.new" "$LIST"
}

# What the suite offers now of the kernel sources, one "package version"
# a line.
offered()
{
	local p
	for p in $(apt-cache pkgnames linux-source- | sort -V); do
		apt-cache madison "$p" |
			awk -F' *[|] *' -v s=" $SOURCE_SUITE/" 'index($3, s) { print $1 " " $2 }'
	done | uniq
}

download()
{
	local have
	mkdir -p "$DEB_DIR"
	add_suite
	apt-get update -q
	if ! apt-cache madison "$SOURCE_PACKAGE" | grep -q "| $SOURCE_VERSION |"; then
		have=$(offered)
		echo "error: $SOURCE_PACKAGE $SOURCE_VERSION is no longer in Debian's $SOURCE_SUITE suite," >&2
		echo "and this machine has no copy in $DEB_DIR." >&2
		if [ -n "$have" ]; then
			echo "The suite offers now:" >&2
			sed 's/^/    /' <<<"$have" >&2
		else
			echo "The suite offers no linux-source package now." >&2
		fi
		echo "To move to one of them, set SOURCE_PACKAGE and SOURCE_VERSION in" >&2
		echo "workbench/linux-source, then run \"make gate\" (the strip must still" >&2
		echo "match), \"make test\" and \"make export\", and commit patches/." >&2
		exit 1
	fi
	(cd "$DEB_DIR" && apt-get download -q "$SOURCE_PACKAGE=$SOURCE_VERSION")
}

[ "$(installed_version)" = "$SOURCE_VERSION" ] && exit 0
deb=$(cached_deb) || { download; deb=$(cached_deb); } ||
	die "apt-get download gave no $SOURCE_PACKAGE $SOURCE_VERSION in $DEB_DIR"
# Its dependencies (binutils, xz-utils) come from the machine's release.
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb"
[ "$(installed_version)" = "$SOURCE_VERSION" ] ||
	die "$SOURCE_PACKAGE $SOURCE_VERSION did not install"
