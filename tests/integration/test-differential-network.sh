#!/bin/bash
# test-differential-network: vzpkg's resolution equals apt's on the real
# mirror named by the host's apt sources. The shipped Debian templates (their
# own package lists: the -minimal one is mmdebstrap's minbase set) and 100
# seeded random sets of 1-5 packages per release (bookworm; trixie when a
# debian-13 template is shipped), apt with a private state dir and an empty
# dpkg status. Differences not in tests/differential/policy.txt fail.
. "$(dirname "$0")/lib.sh"

command -v apt-get >/dev/null || skip "apt-get not available"
require_vzpkg
mirror=$(host_mirrors | sed -n 1p)
[ -n "$mirror" ] || skip "the host's apt sources name no $SUITE mirror"
mirror_reachable || skip "the host's apt mirror $mirror does not answer within 10 s"
unset DEBIAN_MIRROR DEBIAN_SECURITY_MIRROR
make_env
cp -a "$VZPKG_SRC/templates/." "$TEMPLATE/"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -s "$keyring" ] || skip "no $keyring"
n=0
for ver in 12 13; do
	[ -d "$TEMPLATE/debian/$ver/x86_64/config/os/default" ] || continue
	for set in default minimal; do
		[ -f "$TEMPLATE/debian/$ver/x86_64/config/os/$set/packages" ] || continue
		ost=debian-$ver-x86_64
		[ "$set" = default ] || ost=$ost-$set
		random=0
		[ "$set" = default ] && random=100
		python3 "$VZPKG_SRC/tests/differential/apt_diff.py" --vzpkg "$VZPKG" --config "$CONF" \
			--template "$ost" --keyring "$keyring" --template-case --random "$random" --seed "$ver" \
			--workdir "$TEST_TMP/aptdiff-$ost" >"$TEST_TMP/diff-$ost.out" 2>&1 || {
			cat "$TEST_TMP/diff-$ost.out" >&2
			fail "$ost: vzpkg and apt resolve differently"
		}
		say "$ost: $(head -n 1 "$TEST_TMP/diff-$ost.out")"
		grep -Eq '^[0-9]+ cases: [1-9]' "$TEST_TMP/diff-$ost.out" ||
			fail "$ost: no case compared equal: $(cat "$TEST_TMP/diff-$ost.out")"
		rm -rf "$TEST_TMP/aptdiff-$ost"
		n=$((n + 1))
	done
done
[ "$n" -gt 0 ] || fail "no shipped Debian template found"
