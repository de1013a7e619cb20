#!/bin/bash
# Two builds in a row of the RPM test template from the same repository
# state give byte-identical caches (the rpmdb, mount point modes and the
# normalised root included).
. "$(dirname "$0")/lib.sh"

setup_rpm_env
run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "first create cache exited $RC$(vzpkg_log)"
first=$(sha256sum <"$TEMPLATE/cache/$OST.tar.zst")
cp "$TEMPLATE/cache/$OST.tar.zst" "$TEST_TMP/first.tar.zst"
sleep 1  # a second later: wall-clock time must not reach the archive
run_vzpkg create cache -f "$OST"
[ "$RC" = 0 ] || fail "second create cache exited $RC$(vzpkg_log)"
second=$(sha256sum <"$TEMPLATE/cache/$OST.tar.zst")
if [ "$first" != "$second" ]; then
	diff <(tar --zstd -tvf "$TEST_TMP/first.tar.zst" --full-time) \
		<(tar --zstd -tvf "$TEMPLATE/cache/$OST.tar.zst" --full-time) | head -n 20
	fail "two builds from the same repository differ: $first vs $second"
fi
assert_no_leftovers
echo "PASS: $TEST_NAME"
