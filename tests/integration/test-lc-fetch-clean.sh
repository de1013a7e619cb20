#!/bin/bash
# fetch and clean: fetch downloads the template's packages into the
# content-addressed package cache and builds nothing; a second fetch
# downloads nothing.  clean -n lists an unreferenced file and removes
# nothing; clean waits for a build holding the package cache, then removes
# the unreferenced file and keeps the referenced ones; with PKG_CACHE_MAX it
# removes the least recently used files until the cache fits.
. "$(dirname "$0")/lib.sh"

setup_lc_env
PACKAGES=$(repo_packages "$REPO")
LOCK=$PKG_CACHE/.lock
ZHASH=0000000000000000000000000000000000000000000000000000000000000000
ZERO=sha256/00/$ZHASH.deb

run_vzpkg fetch "$OST"
[ "$RC" = 0 ] || fail "vzpkg fetch $OST exited $RC$(vzpkg_log)"
assert_no_leftovers
[ -z "$(ls -A "$TEMPLATE/cache")" ] || fail "fetch wrote into the cache dir: $(ls -A "$TEMPLATE/cache")"
check_pkg_cache_layout
pkg_cache_files >"$TEST_TMP/files"
[ -s "$TEST_TMP/files" ] || fail "fetch put no package into $PKG_CACHE$(vzpkg_log)"
sed 's,.*/,,; s,\.deb$,,' "$TEST_TMP/files" | sort >"$TEST_TMP/fetched"

# Every file is a package of the repository, and the base every template
# gets (required and essential) plus the template's apt are all there.
python3 "$HELPERS" index-packages "$PACKAGES" >"$TEST_TMP/index"
unknown=$(cut -d' ' -f1 "$TEST_TMP/index" | sort -u | comm -13 - "$TEST_TMP/fetched")
[ -z "$unknown" ] || fail "fetched files that are no package of the repository: $unknown"
for p in $(python3 "$HELPERS" required "$PACKAGES") apt; do
	sha=$(awk -v p="$p" '$2 == p { print $1; exit }' "$TEST_TMP/index")
	grep -qx "$sha" "$TEST_TMP/fetched" || fail "fetch did not download $p (sha256 $sha)"
done
say "fetch: $(wc -l <"$TEST_TMP/fetched") packages"

# A second fetch finds everything cached.
mark=$(http_log_mark)
run_vzpkg fetch "$OST"
[ "$RC" = 0 ] || fail "second vzpkg fetch $OST exited $RC$(vzpkg_log)"
pool=$(http_requests_since "$mark" | grep ' /pool/' || true)
[ -z "$pool" ] || fail "second fetch downloaded packages again: $(head -n 3 <<<"$pool")"
cmp -s "$TEST_TMP/files" <(pkg_cache_files) || fail "second fetch changed the package cache's files"

# all_fetched_present: every fetched file is still there.
all_fetched_present() {
	local missing
	missing=$(comm -23 "$TEST_TMP/files" <(pkg_cache_files) | head -n 5)
	[ -z "$missing" ] || fail "$1 removed referenced package files: $missing"
}

# --- an unreferenced file ----------------------------------------------------
mkdir -p "$PKG_CACHE/${ZERO%/*}"
head -c 2048 /dev/urandom >"$PKG_CACHE/$ZERO"

run_vzpkg clean -n
[ "$RC" = 0 ] || fail "vzpkg clean -n exited $RC$(vzpkg_log)"
grep -q "$ZHASH" "$OUT" "$ERR" || fail "clean -n does not list the unreferenced $ZHASH$(vzpkg_log)"
[ -e "$PKG_CACHE/$ZERO" ] || fail "clean -n removed the unreferenced file"
all_fetched_present "clean -n"
run_vzpkg clean --dry-run
[ "$RC" = 0 ] || fail "vzpkg clean --dry-run exited $RC$(vzpkg_log)"
[ -e "$PKG_CACHE/$ZERO" ] || fail "clean --dry-run removed the unreferenced file"

# clean waits while a build holds the package cache (its shared lock).
flock -s "$LOCK" sleep 4 &
holder=$!
at_exit '[ -z "$holder" ] || kill "$holder" 2>/dev/null'
for _ in $(seq 50); do
	flock -n -x "$LOCK" true || break
	sleep 0.1
done
! flock -n -x "$LOCK" true || fail "could not take the package cache's lock for the test"
start=$SECONDS
"$VZPKG" -c "$CONF" clean >"$OUT" 2>"$ERR" &
cpid=$!
at_exit '[ -n "$cpid" ] && [ "$(readlink "/proc/$cpid/exe")" = "$(readlink -f "$VZPKG")" ] && kill -KILL "$cpid"'
sleep 1.5
kill -0 "$cpid" 2>/dev/null || fail "clean finished while a build held the package cache$(vzpkg_log)"
[ -e "$PKG_CACHE/$ZERO" ] || fail "clean removed files while a build held the package cache"
RC=0
wait "$cpid" || RC=$?
cpid=
elapsed=$((SECONDS - start))
wait "$holder" 2>/dev/null || true
holder=
[ "$RC" = 0 ] || fail "vzpkg clean exited $RC$(vzpkg_log)"
[ "$elapsed" -ge 3 ] || fail "clean took $elapsed s; it did not wait for the 4 s lock holder"
grep -q "$ZHASH" "$OUT" "$ERR" || fail "clean does not print the file it removed$(vzpkg_log)"
[ ! -e "$PKG_CACHE/$ZERO" ] || fail "clean did not remove the unreferenced file"
all_fetched_present clean
check_pkg_cache_layout

# --- PKG_CACHE_MAX: least recently used first --------------------------------
MAX=$((1024 * 1024))
config_set PKG_CACHE_MAX 1M
# Distinct mtimes in name order (unrelated to size): the first name is oldest.
base=$(($(date +%s) - 2 * 86400))
i=0
while read -r f; do
	touch -d "@$((base + 60 * i))" "$PKG_CACHE/$f"
	i=$((i + 1))
done <"$TEST_TMP/files"

# expected_kept apparent|blocks: the newest files that fit, removing oldest first.
expected_kept() {
	local total=0 f s
	declare -a names sizes
	while read -r f; do
		if [ "$1" = blocks ]; then s=$(($(stat -c '%b * %B' "$PKG_CACHE/$f"))); else s=$(stat -c %s "$PKG_CACHE/$f"); fi
		names+=("$f")
		sizes+=("$s")
		total=$((total + s))
	done <"$TEST_TMP/files"
	i=0
	while [ "$total" -gt "$MAX" ]; do
		total=$((total - sizes[i]))
		i=$((i + 1))
	done
	printf '%s\n' "${names[@]:i}"
}
expected_kept apparent >"$TEST_TMP/kept.apparent"
expected_kept blocks >"$TEST_TMP/kept.blocks"

run_vzpkg clean
[ "$RC" = 0 ] || fail "vzpkg clean with PKG_CACHE_MAX=1M exited $RC$(vzpkg_log)"
pkg_cache_files >"$TEST_TMP/kept"
total=0
while read -r f; do total=$((total + $(stat -c %s "$PKG_CACHE/$f"))); done <"$TEST_TMP/kept"
[ "$total" -le "$MAX" ] || fail "after clean with PKG_CACHE_MAX=1M the cache holds $total bytes$(vzpkg_log)"
if ! cmp -s "$TEST_TMP/kept" "$TEST_TMP/kept.apparent" && ! cmp -s "$TEST_TMP/kept" "$TEST_TMP/kept.blocks"; then
	fail "clean with PKG_CACHE_MAX=1M kept $(wc -l <"$TEST_TMP/kept") files ($total bytes); removing the least recently used first keeps the newest $(wc -l <"$TEST_TMP/kept.apparent") (< kept, > expected):
$(diff_lines "$TEST_TMP/kept" "$TEST_TMP/kept.apparent")"
fi
for f in $(comm -23 "$TEST_TMP/files" "$TEST_TMP/kept"); do
	f=${f##*/}
	grep -q "${f%.deb}" "$OUT" "$ERR" || fail "clean does not print the removed ${f%.deb}$(vzpkg_log)"
done
check_pkg_cache_layout

echo "PASS: $TEST_NAME"
