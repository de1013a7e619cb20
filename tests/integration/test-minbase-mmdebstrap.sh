#!/bin/bash
# The shipped -minimal sets are documented as `mmdebstrap --variant=minbase`;
# checked against mmdebstrap itself, side by side: for Debian 12 and 13 it
# makes a minbase root from the host's mirror (release, -updates and
# -security, as the templates list them), and `vzpkg resolve` of
# debian-12-x86_64-minimal and debian-13-x86_64-minimal must name exactly the
# packages and versions dpkg has installed there. Skips when mmdebstrap is
# missing or the mirror does not answer.
. "$(dirname "$0")/lib.sh"

require_privileges
require_vzpkg
command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed"
mirror=$(host_mirrors | sed -n 1p)
security=$(python3 "$HELPERS" mirrors "$SUITE-security" | sed -n 1p)
[ -n "$mirror" ] && [ -n "$security" ] || skip "the host's apt sources name no $SUITE and $SUITE-security mirrors"
mirror_reachable || skip "the host's apt mirror $mirror does not answer within 10 s"

unset DEBIAN_MIRROR DEBIAN_SECURITY_MIRROR
make_env
cp -a "$VZPKG_SRC/templates/." "$TEMPLATE/"

compare() {  # compare VERSION CODENAME
	local ost=debian-$1-x86_64-minimal root=$TEST_TMP/mmdebstrap-$2 rc=0
	curl -fsS --max-time 10 -o /dev/null "$mirror/dists/$2/InRelease" ||
		{ say "the mirror has no $2: $ost not compared"; return 0; }
	timeout 900 mmdebstrap --quiet --variant=minbase --mode=root "$2" "$root" \
		"deb $mirror $2 main" "deb $mirror $2-updates main" "deb $security $2-security main" \
		>"$TEST_TMP/mmdebstrap-$2.log" 2>&1 || rc=$?
	[ "$rc" = 0 ] || fail "mmdebstrap --variant=minbase $2 exited $rc: $(tail -n 5 "$TEST_TMP/mmdebstrap-$2.log")"
	dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Package} ${Version}\n' | LC_ALL=C sort >"$TEST_TMP/mm.$1"
	run_vzpkg resolve "$ost"
	[ "$RC" = 0 ] || fail "vzpkg resolve $ost exited $RC$(vzpkg_log)"
	awk '{ print $1, $2 }' "$OUT" | LC_ALL=C sort >"$TEST_TMP/vz.$1"
	[ -s "$TEST_TMP/vz.$1" ] || fail "vzpkg resolve $ost printed nothing"
	cmp -s "$TEST_TMP/mm.$1" "$TEST_TMP/vz.$1" ||
		fail "$ost differs from mmdebstrap --variant=minbase $2 (< mmdebstrap, > vzpkg): $(diff_lines "$TEST_TMP/mm.$1" "$TEST_TMP/vz.$1")"
	say "$ost: the same $(wc -l <"$TEST_TMP/vz.$1") packages and versions as mmdebstrap --variant=minbase $2"
	rm -rf --one-file-system "$root"
}

compare 12 bookworm
compare 13 trixie
echo "PASS: $TEST_NAME"
