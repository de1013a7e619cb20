#!/bin/bash
# status and update cache of an RPM template: a cache built from version 1
# of the distribution is current; after the repository publishes version 2
# (vzt-foo-tools and vzt-libfoo 1.0-2; vzt-old replaced by vzt-new, which
# obsoletes and provides it), status exits 22 listing the updates, update
# cache brings the cache up to date (vzt-new installed, vzt-old gone, rpm -Va
# clean, the lists right) and status is 0 again.
. "$(dirname "$0")/lib.sh"

setup_rpm_env
config_set METADATA_EXPIRE 0 # every run asks the repository
CACHE=$TEMPLATE/cache/$OST.tar.zst

run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "vzpkg create cache $OST exited $RC$(vzpkg_log)"
assert_no_leftovers
run_vzpkg status "$OST"
[ "$RC" = 0 ] || fail "status of a fresh cache exited $RC, expected 0$(vzpkg_log)"
grep -qxF "$OST: current" "$OUT" || fail "status of a fresh cache does not print '$OST: current'$(vzpkg_log)"

# --- version 2 ----------------------------------------------------------------
build_rpm_repo 2
run_vzpkg status "$OST"
[ "$RC" = 22 ] || fail "status after the repository published version 2 exited $RC, expected 22$(vzpkg_log)"
grep -qxF "$OST: stale" "$OUT" || fail "status does not print '$OST: stale'$(vzpkg_log)"
for p in vzt-foo-tools vzt-libfoo; do
	grep -qE "^  $p (0:)?1\.0-1 -> (0:)?1\.0-2\$" "$OUT" ||
		fail "status does not list '  $p 1.0-1 -> 1.0-2'$(vzpkg_log)"
done
grep -qE '^  vzt-new \(new\) (0:)?2\.0-1$' "$OUT" || fail "status does not list '  vzt-new (new) 2.0-1'$(vzpkg_log)"
grep -qE '^  vzt-old \(removed\) (0:)?1\.0-1$' "$OUT" ||
	fail "status does not list '  vzt-old (removed) 1.0-1'$(vzpkg_log)"
others=$(grep -E -- ' -> ' "$OUT" | grep -vE '^  (vzt-foo-tools|vzt-libfoo) ' || true)
[ -z "$others" ] || fail "status lists updates that were not published: $others"

run_vzpkg update cache "$OST"
[ "$RC" = 0 ] || fail "vzpkg update cache $OST exited $RC$(vzpkg_log)"
assert_no_leftovers
run_vzpkg status "$OST"
[ "$RC" = 0 ] || fail "status after update cache exited $RC, expected 0$(vzpkg_log)"
grep -qxF "$OST: current" "$OUT" || fail "status after update cache does not print '$OST: current'$(vzpkg_log)"

ROOT=$TEST_TMP/updated
unpack_cache "$CACHE" "$ROOT"
check_rpm_root "$ROOT" 2 "${RPM_TEMPLATE_PACKAGES[@]}"
rpm_installed >"$TEST_TMP/installed"
for p in "vzt-foo-tools x86_64 1.0-2" "vzt-libfoo x86_64 1.0-2" "vzt-new noarch 2.0-1"; do
	grep -qxF "$p" "$TEST_TMP/installed" || fail "the updated cache does not have $p: $(tr '\n' ';' <"$TEST_TMP/installed")"
done
! grep -q '^vzt-old ' "$TEST_TMP/installed" || fail "vzt-old is still installed after the update"
[ ! -e "$ROOT/usr/share/vzt-old/old.txt" ] || fail "vzt-old's file is still in the updated cache"
grep -qx 'vzt libfoo 1.0-2' "$ROOT/usr/lib64/libfoo.so.1.0" ||
	fail "the updated cache's libfoo.so.1.0 is not release 2's: $(cat "$ROOT/usr/lib64/libfoo.so.1.0")"

echo "PASS: $TEST_NAME"
