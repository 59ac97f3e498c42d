#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# gate.sh TREE_DIR: check that the stripped base holds no trace of the
# in-tree livepatch: a grep over generic, x86, s390 and arm64 code, the
# build scripts and objtool may only find the lines gate-allowlist
# explains.  Prints each unexplained hit.
set -e
here=$(cd "$(dirname "$0")" && pwd)
cd "$1"

scope=(Makefile Kconfig arch/Kconfig arch/x86 arch/s390 arch/arm64 block certs
       crypto drivers fs include init io_uring ipc kernel lib mm net rust
       samples scripts security usr virt tools/objtool)
hits=$(grep -rnIE 'klp_|\bklp\b|_klp\b|\bKLP_|\.klp\.|livepatch|LIVEPATCH|TIF_PATCH_PENDING' \
	"${scope[@]}" || true)

bad=0
while IFS= read -r hit; do
	[ -n "$hit" ] || continue
	file=${hit%%:*}
	text=${hit#*:*:}
	ok=0
	while IFS= read -r entry; do
		case $entry in "#"* | "") continue ;; esac
		path=${entry%%:*}
		re=${entry#*:}
		case $path in
		*/) [[ $file == "$path"* ]] || continue ;;
		*) [ "$file" = "$path" ] || continue ;;
		esac
		if grep -qE -- "$re" <<<"$text"; then
			ok=1
			break
		fi
	done < "$here/gate-allowlist"
	if [ $ok = 0 ]; then
		echo "gate: unexplained: $hit"
		bad=1
	fi
done <<<"$hits"
[ $bad = 0 ] && echo "gate: no livepatch left in generic, x86, s390 and arm64 code, scripts and objtool ($(grep -c . <<<"$hits") allow-listed lines)"
exit $bad
