#!/bin/bash
# Hooks that succeed run in the documented order and place: pre-cache and
# post-cache on the host with $1 = the build root, post-install inside the
# container after both; what they write ends up in the cache.
. "$(dirname "$0")/lib.sh"

setup_repo_env
MARK=$TEST_TMP/host-marker/post-install-ran-on-host
# The root may still be empty when pre-cache runs.
add_hook pre-cache 'mkdir -p "$1/etc" && echo pre-cache >"$1/etc/vzpkg-test-hooks"'
add_hook post-cache 'grep -qx pre-cache "$1/etc/vzpkg-test-hooks" && echo post-cache >>"$1/etc/vzpkg-test-hooks"'
# Inside the container / is the build root: the host hooks' file is there,
# and dpkg's database shows the installed apt.
add_hook post-install "[ -d '$TEST_TMP' ] && mkdir -p '${MARK%/*}' && touch '$MARK'
grep -qx post-cache /etc/vzpkg-test-hooks &&
dpkg-query -W -f='\${Status}\n' apt | grep -qx 'install ok installed' &&
echo post-install >>/etc/vzpkg-test-hooks"

run_vzpkg create cache "$OST"
[ ! -e "$MARK" ] || fail "the post-install hook ran on the host, not in the container"
[ "$RC" = 0 ] || fail "vzpkg create cache $OST exited $RC$(vzpkg_log)"
assert_no_leftovers

ROOT=$TEST_TMP/unpacked
unpack_cache "$TEMPLATE/cache/$OST.tar.zst" "$ROOT"
got=$(tr '\n' ' ' <"$ROOT/etc/vzpkg-test-hooks" 2>/dev/null) || true
[ "$got" = "pre-cache post-cache post-install " ] ||
	fail "hooks' record in the cache is '$got', expected 'pre-cache post-cache post-install '"
check_root_sane "$ROOT"
echo "PASS: $TEST_NAME"
