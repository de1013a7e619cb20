#!/bin/bash
# status and update cache: a cache built from repository state v1 is
# "current"; after the repository publishes newer versions of two installed
# packages and the template lists one more package, status reports exactly
# those changes (text and --json, exit 22), update cache brings the cache up
# to date in place running the pre-update/post-update hooks inside the
# container, the result is what a fresh build gives, the same update run
# again from the same old cache gives the same bytes, a second update of a
# current cache leaves the file alone, and update cache -f rebuilds it.
. "$(dirname "$0")/lib.sh"

setup_lc_env
CACHE=$TEMPLATE/cache/$OST.tar.zst
MANIFEST=$TEMPLATE/cache/$OST.json
SUFFIX=+vzt1
HOST_NAME=$(uname -n)

# status without a cache: exit 23 (not cached), one line naming the template.
run_vzpkg -q status "$OST"
check_error "$EXIT_NOT_CACHED" "$OST"

# --- v1 -------------------------------------------------------------------
run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "vzpkg create cache $OST exited $RC$(vzpkg_log)"
assert_no_leftovers
python3 "$HELPERS" manifest-packages "$MANIFEST" >"$TEST_TMP/v1.manifest" ||
	fail "manifest $MANIFEST of the v1 build unreadable"

run_vzpkg status "$OST"
[ "$RC" = 0 ] || fail "status of a fresh cache exited $RC, expected 0$(vzpkg_log)"
grep -qxF "$OST: current" "$OUT" || fail "status of a fresh cache does not print '$OST: current'$(vzpkg_log)"

# --- v2: two installed packages get newer versions, the template one more package.
installed_v1() { awk -v p="$1" '$2 == p { found = 1 } END { exit !found }' "$TEST_TMP/v1.manifest"; }
BUMP=()
for p in hostname gzip debianutils sed; do
	[ "${#BUMP[@]}" -lt 2 ] || break
	installed_v1 "$p" && [ -n "$(repo_field "$REPO" "$p" Filename)" ] && BUMP+=("$p")
done
[ "${#BUMP[@]}" = 2 ] || fail "found no two of hostname gzip debianutils sed installed in the v1 cache"
NEW=
for p in gawk original-awk libfile-find-rule-perl; do
	if ! installed_v1 "$p" && [ -n "$(repo_field "$REPO" "$p" Filename)" ]; then
		NEW=$p
		break
	fi
done
[ -n "$NEW" ] || fail "no package of the repository to add to the template (gawk, original-awk, ...)"

declare -A OLDV NEWV ARCH
for p in "${BUMP[@]}"; do
	OLDV[$p]=$(repo_field "$REPO" "$p" Version)
	ARCH[$p]=$(repo_field "$REPO" "$p" Architecture)
	NEWV[$p]=${OLDV[$p]}$SUFFIX
	repo_bump_package "$REPO" "$p" "$SUFFIX"
done
republish_repo "$REPO"
for p in "${BUMP[@]}"; do
	[ "$(repo_field "$REPO" "$p" Version)" = "${NEWV[$p]}" ] || fail "republished index lacks $p ${NEWV[$p]}"
done
NEWVER=$(repo_field "$REPO" "$NEW" Version)
NEWARCH=$(repo_field "$REPO" "$NEW" Architecture)
echo "$NEW" >>"$TDIR/packages"
say "v2: ${BUMP[*]} bumped to +vzt1, $NEW $NEWVER added to the template"

# Hooks of the update.  Run on the host, they would see $TEST_TMP and only
# leave a marker there; in the container they record the host name and the
# version of ${BUMP[0]} that dpkg has at that point.
MARK=$TEST_TMP/host-marker
for h in pre-update post-update; do
	add_hook "$h" "if [ -d '$TEST_TMP' ]; then mkdir -p '$MARK' && touch '$MARK/$h'; exit 0; fi
{ uname -n; dpkg-query -W -f='\${Version}\n' ${BUMP[0]}; } >/etc/vzt-$h"
done

# --- status on the stale cache ---------------------------------------------
run_vzpkg status "$OST"
[ "$RC" = 22 ] || fail "status of a stale cache exited $RC, expected 22$(vzpkg_log)"
grep -qxF "$OST: stale" "$OUT" || fail "status does not print '$OST: stale'$(vzpkg_log)"
for p in "${BUMP[@]}"; do
	grep -qxF "  $p ${OLDV[$p]} -> ${NEWV[$p]}" "$OUT" ||
		fail "status does not print '  $p ${OLDV[$p]} -> ${NEWV[$p]}'$(vzpkg_log)"
done
grep -qxF "  $NEW (new) $NEWVER" "$OUT" || fail "status does not print '  $NEW (new) $NEWVER'$(vzpkg_log)"
# Nothing else changed in the repository: no other package is an update.
others=$(grep -E -- ' -> ' "$OUT" | grep -vE "^  (${BUMP[0]}|${BUMP[1]}) " || true)
[ -z "$others" ] || fail "status lists updates that were not published: $others"

# --json, as a global option and after the command: the same facts.
check_status_json() {
	local facts=$TEST_TMP/status.facts want p
	[ "$RC" = 22 ] || fail "status --json ($1) exited $RC, expected 22$(vzpkg_log)"
	python3 "$HELPERS" status-json "$OUT" >"$facts" ||
		fail "status --json ($1) output not as documented: $(head -n 5 "$facts")
$(head -c 2000 "$OUT")"
	want=("$OST stale" "$OST new $NEW $NEWARCH $NEWVER")
	for p in "${BUMP[@]}"; do want+=("$OST update $p ${ARCH[$p]} ${OLDV[$p]} ${NEWV[$p]}"); done
	for p in "${want[@]}"; do
		grep -qxF "$p" "$facts" || fail "status --json ($1) lacks: $p; it says:
$(cat "$facts")"
	done
	[ "$(grep -c " update " "$facts")" = 2 ] ||
		fail "status --json ($1) lists other updates than ${BUMP[*]}: $(grep " update " "$facts")"
	! grep -q " removed " "$facts" || fail "status --json ($1) lists removed packages: $(grep " removed " "$facts")"
	[ "$(grep -c "^$OST \(current\|stale\)$" "$facts")" = 1 ] ||
		fail "status --json ($1) has not exactly one element for $OST: $(cat "$facts")"
}
run_vzpkg --json status "$OST"
check_status_json "global --json"
run_vzpkg status --json "$OST"
check_status_json "status --json"

# --- update cache -------------------------------------------------------------
cp -p "$CACHE" "$TEST_TMP/v1.tar.zst"   # for the second update below
cp -p "$MANIFEST" "$TEST_TMP/v1.json"
run_vzpkg update cache "$OST"
[ "$RC" = 0 ] || fail "vzpkg update cache $OST exited $RC$(vzpkg_log)"
assert_no_leftovers
for h in pre-update post-update; do
	[ ! -e "$MARK/$h" ] || fail "the $h hook ran on the host, not in the container"
done

run_vzpkg status "$OST"
[ "$RC" = 0 ] || fail "status after update cache exited $RC, expected 0$(vzpkg_log)"
grep -qxF "$OST: current" "$OUT" || fail "status after update cache does not print '$OST: current'$(vzpkg_log)"

ROOT=$TEST_TMP/updated
unpack_cache "$CACHE" "$ROOT"
check_root_sane "$ROOT"
python3 "$HELPERS" installed "$ROOT/var/lib/dpkg/status" >"$TEST_TMP/installed"
for p in "${BUMP[@]}"; do
	grep -qxF "$p ${ARCH[$p]} ${NEWV[$p]}" "$TEST_TMP/installed" ||
		fail "updated cache does not have $p ${NEWV[$p]}: $(grep "^$p " "$TEST_TMP/installed" || echo "$p not installed")"
done
grep -qxF "$NEW $NEWARCH $NEWVER" "$TEST_TMP/installed" ||
	fail "updated cache does not have the newly listed $NEW $NEWVER installed"
sed 's/^ //' "$ROOT/templates/vzpackages" | sort >"$TEST_TMP/vzpackages.updated"
cmp -s "$TEST_TMP/installed" "$TEST_TMP/vzpackages.updated" ||
	fail "updated cache's vzpackages differs from its dpkg status (< status, > vzpackages):
$(diff_lines "$TEST_TMP/installed" "$TEST_TMP/vzpackages.updated")"
problems=$(python3 "$HELPERS" check-manifest "$MANIFEST" "$(repo_packages "$REPO")" \
	"$ROOT/var/lib/dpkg/status" "$OST" "$MIRROR") ||
	fail "manifest after update cache: $(head -n 20 <<<"$problems")"

# The hooks ran in the container (its host name), pre-update before the
# packages were updated and post-update after.
for h in pre-update post-update; do
	[ -s "$ROOT/etc/vzt-$h" ] || fail "the $h hook's /etc/vzt-$h is not in the updated cache"
done
mapfile -t pre <"$ROOT/etc/vzt-pre-update"
mapfile -t post <"$ROOT/etc/vzt-post-update"
[ -n "${pre[0]}" ] && [ "${pre[0]}" != "$HOST_NAME" ] ||
	fail "pre-update ran with host name '${pre[0]}' (the host's is '$HOST_NAME'): not in the container"
[ "${pre[1]:-}" = "${OLDV[${BUMP[0]}]}" ] ||
	fail "pre-update saw ${BUMP[0]} '${pre[1]:-}', expected the old ${OLDV[${BUMP[0]}]}"
[ "${post[1]:-}" = "${NEWV[${BUMP[0]}]}" ] ||
	fail "post-update saw ${BUMP[0]} '${post[1]:-}', expected the new ${NEWV[${BUMP[0]}]}"

# --- the same update again, from the same v1 cache: the same bytes ----------
# The old cache is unpacked in a thread while the repositories are read; how
# the two overlap must not show in the result, which is as reproducible as
# a build.
sha_updated=$(sha256sum <"$CACHE")
# The manifest's cache_sha256 is hashed by the packer as it writes: it must
# be the file's.
[ "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["cache_sha256"])' "$MANIFEST")" = \
	"${sha_updated%% *}" ] || fail "the manifest's cache_sha256 is not the SHA-256 of the updated cache"
cp -p "$TEST_TMP/v1.tar.zst" "$CACHE"
cp -p "$TEST_TMP/v1.json" "$MANIFEST"
run_vzpkg update cache "$OST"
[ "$RC" = 0 ] || fail "the second vzpkg update cache $OST from the v1 cache exited $RC$(vzpkg_log)"
[ "$(sha256sum <"$CACHE")" = "$sha_updated" ] ||
	fail "update cache from the same v1 cache and repository gave a different archive the second time"
assert_no_leftovers

# --- update cache of a current cache: nothing is rewritten -------------------
cache_snapshot "$OST" current
sleep 1.1 # a rewrite would show in the mtime
run_vzpkg update cache "$OST"
[ "$RC" = 0 ] || fail "update cache of a current cache exited $RC$(vzpkg_log)"
grep -qxF "$OST: current" "$OUT" || fail "update cache of a current cache does not print '$OST: current'$(vzpkg_log)"
cache_unchanged "$OST" current ||
	fail "update cache of a current cache changed it (< before, > after): $(cache_snapshot_diff current)"
assert_no_leftovers

# cache_vzpackages NAME: the cache's templates/vzpackages as sorted
# "name arch version" lines in $TEST_TMP/vzpackages.NAME.
cache_vzpackages() {
	local dir=$TEST_TMP/vzp-$1
	mkdir -p "$dir"
	tar --zstd -xf "$CACHE" -C "$dir" --wildcards '*templates/vzpackages' ||
		fail "no templates/vzpackages in the cache ($1)"
	sed 's/^ //' "$dir/templates/vzpackages" | sort >"$TEST_TMP/vzpackages.$1"
}

# --- update cache -f: rebuilt, even though current ---------------------------
run_vzpkg update cache -f "$OST"
[ "$RC" = 0 ] || fail "vzpkg update cache -f $OST exited $RC$(vzpkg_log)"
assert_no_leftovers
! cache_unchanged "$OST" current || fail "update cache -f of a current cache did not rebuild it$(vzpkg_log)"
run_vzpkg status "$OST"
[ "$RC" = 0 ] || fail "status after update cache -f exited $RC, expected 0$(vzpkg_log)"
cache_vzpackages rebuilt

# --- the same as a fresh build from the same repository ---------------------
run_vzpkg create cache -f "$OST"
[ "$RC" = 0 ] || fail "vzpkg create cache -f $OST (reference build) exited $RC$(vzpkg_log)"
cache_vzpackages fresh
cmp -s "$TEST_TMP/vzpackages.fresh" "$TEST_TMP/vzpackages.updated" ||
	fail "the updated cache's vzpackages differs from a fresh build's (< fresh, > updated):
$(diff_lines "$TEST_TMP/vzpackages.fresh" "$TEST_TMP/vzpackages.updated")"
cmp -s "$TEST_TMP/vzpackages.fresh" "$TEST_TMP/vzpackages.rebuilt" ||
	fail "update cache -f's vzpackages differs from create cache -f's (< create, > update -f):
$(diff_lines "$TEST_TMP/vzpackages.fresh" "$TEST_TMP/vzpackages.rebuilt")"

echo "PASS: $TEST_NAME"
