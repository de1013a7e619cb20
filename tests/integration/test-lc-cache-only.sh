#!/bin/bash
# -C (cache only): after 'fetch', 'create cache -f' builds in a network
# namespace where nothing can be reached, from the cached metadata and
# packages alone.  With the package cache wiped, or the metadata cache, -C
# fails with exit 52 and one line naming what is missing, and leaves the
# existing cache and the host as they were.
. "$(dirname "$0")/lib.sh"

setup_lc_env
require_offline_netns
CACHE=$TEMPLATE/cache/$OST.tar.zst
MANIFEST=$TEMPLATE/cache/$OST.json

run_vzpkg fetch "$OST"
[ "$RC" = 0 ] || fail "vzpkg fetch $OST exited $RC$(vzpkg_log)"
assert_no_leftovers
[ ! -e "$CACHE" ] || fail "fetch built a cache"
pkg_cache_files | sed 's,.*/,,; s,\.deb$,,' | sort >"$TEST_TMP/fetched"
[ -s "$TEST_TMP/fetched" ] || fail "fetch put no package into $PKG_CACHE$(vzpkg_log)"

# Offline, from the caches alone.
run_vzpkg_offline -C create cache -f "$OST"
[ "$RC" = 0 ] || fail "offline vzpkg -C create cache -f $OST exited $RC$(vzpkg_log)"
assert_no_leftovers
[ -s "$CACHE" ] || fail "offline -C build made no cache $CACHE"
# fetch downloaded exactly what the build installed.
python3 "$HELPERS" manifest-packages "$MANIFEST" | cut -d' ' -f1 | sort -u >"$TEST_TMP/built" ||
	fail "manifest $MANIFEST unreadable"
cmp -s "$TEST_TMP/fetched" "$TEST_TMP/built" ||
	fail "fetch's packages differ from the build's (< fetched only, > built only, by sha256):
$(diff_lines "$TEST_TMP/fetched" "$TEST_TMP/built")"
tar --zstd -tf "$CACHE" | grep -E '^(\./)?usr/bin/apt-get$' >/dev/null || fail "the offline build's cache has no usr/bin/apt-get"

# No packages: exit 52 naming one; the cache is kept.
cache_snapshot "$OST" before
find "$PKG_CACHE" -mindepth 1 -delete
run_vzpkg_offline -q -C create cache -f "$OST"
check_error "$EXIT_DOWNLOAD"
line=$(cat "$ERR")
named=
while read -r _ name _; do
	grep -qwF -- "$name" <<<"$line" && named=$name && break
done < <(python3 "$HELPERS" manifest-packages "$MANIFEST")
[ -n "$named" ] || fail "the -C error for missing packages names none of the template's packages: $line"
cache_unchanged "$OST" before ||
	fail "the failed -C build changed the cache dir (< before, > after): $(cache_snapshot_diff before)"
assert_no_leftovers
[ -z "$(pkg_cache_files)" ] || fail "-C put packages into the package cache: $(pkg_cache_files | head -n 3)"

# No metadata: exit 52 naming the repository.
find "$METADATA_CACHE" -mindepth 1 -delete
run_vzpkg_offline -q -C fetch "$OST"
check_error "$EXIT_DOWNLOAD" "127.0.0.1:$PORT"
assert_no_leftovers
cache_unchanged "$OST" before ||
	fail "the failed -C fetch changed the cache dir (< before, > after): $(cache_snapshot_diff before)"

echo "PASS: $TEST_NAME"
