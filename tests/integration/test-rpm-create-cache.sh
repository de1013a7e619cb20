#!/bin/bash
# create cache of an RPM template: vztest-1-x86_64, from the vztest
# distribution built at test time (rpm/).  The archive unpacks into a root
# whose rpm database holds exactly the template's packages and their
# dependencies (computed here from the packages' own metadata), rpm -Va is
# clean, the %post scriptlet and the trigger ran under the target's busybox
# /bin/sh, the template's key is imported, and vzpackages and the JSON
# manifest tell the truth.
. "$(dirname "$0")/lib.sh"

setup_rpm_env

# The distribution is as the specs say: the listed packages pull in
# vzt-libfoo (a soname Provides, and a rich dependency) and nothing else.
rpm_expected_set "${RPM_TEMPLATE_PACKAGES[@]}" >"$TEST_TMP/expected"
want="vzt-filesystem vzt-foo-tools vzt-libfoo vzt-old vzt-rich vzt-setup vzt-shell vzt-watcher"
[ "$(tr '\n' ' ' <"$TEST_TMP/expected")" = "$want " ] ||
	fail "the test distribution resolves to '$(tr '\n' ' ' <"$TEST_TMP/expected")', expected '$want' (rpm/specs changed?)"

run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "vzpkg create cache $OST exited $RC$(vzpkg_log)"
assert_no_leftovers
grep -q "$OST" "$OUT" || fail "no result line naming $OST on stdout$(vzpkg_log)"

CACHE=$TEMPLATE/cache/$OST.tar.zst
[ -s "$CACHE" ] || fail "no cache $CACHE; cache dir: $(ls -A "$TEMPLATE/cache")"
[ -s "$TEMPLATE/cache/$OST.json" ] || fail "no manifest $OST.json beside the cache"

ROOT=$TEST_TMP/unpacked
unpack_cache "$CACHE" "$ROOT"
check_rpm_root "$ROOT" 1 "${RPM_TEMPLATE_PACKAGES[@]}"

# The root's shell is the packaged busybox, and it works there.
out=$(chroot "$ROOT" /bin/sh -c 'echo sh-ok' 2>&1) || fail "chroot $ROOT /bin/sh failed: $out"
[ "$out" = sh-ok ] || fail "chroot $ROOT /bin/sh -c 'echo sh-ok' printed: $out"

assert_no_leftovers
echo "PASS: $TEST_NAME"
