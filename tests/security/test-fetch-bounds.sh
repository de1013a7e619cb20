#!/bin/bash
# Downloads and repository metadata as hostile input (Debian family). A
# server that sends an endless InRelease, an endless .deb (its signed Size is
# small), or trickles an InRelease slowly for ever is cut off: exit 81 (cap) or
# 52 (timeout) with one error line naming the URL, within a bound well below
# the test's run timeout, no .part left and almost nothing written to
# PKG_CACHE / METADATA_CACHE / TMP_DIR, the cached metadata and a planted
# template cache unchanged. A validly signed but older InRelease (a replay of
# an earlier state) is refused by 'update metadata' and 'status' (exit 6,
# naming the repository and both dates), the newer cached one is kept, and
# status never reports the old state as "current". No base system is built.
. "$(dirname "$0")/../integration/lib.sh"

SEC_DIR=$(cd "$(dirname "$0")" && pwd)
setup_repo_env apt
# Small bounds, so that a missing bound shows up as a slow or huge run.
config_set DOWNLOAD_TIMEOUT 8
config_set DOWNLOAD_LOW_SPEED_LIMIT 100
config_set DOWNLOAD_LOW_SPEED_TIME 3
config_set METADATA_EXPIRE 0
BOUND=30 # seconds any refused run may take (the test's run timeout is 600)

# serve_hostile DIR: hostile-http.py on DIR; sets HPORT. Rules in $RULES.
RULES=$TEST_TMP/rules.json
HLOG=$TEST_TMP/hostile.log
echo '{}' >"$RULES"
: >"$HLOG"
serve_hostile() {
	local port pid i
	port=$(free_port)
	(cd / && exec python3 "$SEC_DIR/hostile-http.py" "$1" "$port" "$RULES" "$HLOG") >>"$TEST_TMP/http.log" 2>&1 &
	pid=$!
	at_exit "grep -qa hostile-http /proc/$pid/cmdline 2>/dev/null && kill $pid"
	for i in $(seq 100); do
		curl -fs --max-time 2 -o /dev/null "http://127.0.0.1:$port/dists/$SUITE/Release" && HPORT=$port && return 0
		sleep 0.1
	done
	fail "the hostile HTTP server did not start"
}
serve_hostile "$REPO"
MIRROR=http://127.0.0.1:$HPORT
config_var TEST_MIRROR "$MIRROR"
INREL_URL=$MIRROR/dists/$SUITE/InRelease
rules() { printf '%s\n' "$1" >"$RULES"; }

# What must not change when a download is refused: every file of the
# metadata cache (content) and of the package cache.
snapshot() {
	(cd "$METADATA_CACHE" && find . -type f ! -name .lock -print0 | sort -z | xargs -0r sha256sum) >"$TEST_TMP/meta.$1"
	(cd "$PKG_CACHE" && find . -type f -print0 | sort -z | xargs -0r sha256sum) >"$TEST_TMP/pkg.$1"
}
check_unchanged() {
	snapshot now
	cmp -s "$TEST_TMP/meta.$1" "$TEST_TMP/meta.now" ||
		fail "$2: the metadata cache changed (< before, > after): $(diff_lines "$TEST_TMP/meta.$1" "$TEST_TMP/meta.now")"
	cmp -s "$TEST_TMP/pkg.$1" "$TEST_TMP/pkg.now" ||
		fail "$2: the package cache changed (< before, > after): $(diff_lines "$TEST_TMP/pkg.$1" "$TEST_TMP/pkg.now")"
}
# No .part anywhere, and the three trees small (KiB).
check_disk() {
	local parts kib
	parts=$(find "$METADATA_CACHE" "$PKG_CACHE" "$TMP_DIR" -name '*.part' 2>/dev/null)
	[ -z "$parts" ] || fail "$1: .part files left: $parts"
	kib=$(du -sk "$METADATA_CACHE" "$PKG_CACHE" "$TMP_DIR" | awk '{ s += $1 } END { print s }')
	[ "$kib" -le "$2" ] || fail "$1: $kib KiB in the caches and TMP_DIR, expected at most $2 KiB"
}
# timed NAME ARGS...: run_vzpkg ARGS, fail when it took more than BOUND s.
timed() {
	local what=$1 t0=$SECONDS
	shift
	run_vzpkg "$@"
	ELAPSED=$((SECONDS - t0))
	[ "$ELAPSED" -le "$BOUND" ] || fail "$what: vzpkg ran ${ELAPSED}s, more than ${BOUND}s$(vzpkg_log)"
}
sent_bytes() { awk -v p="$1" '$1 == p { n = $3 } END { print n + 0 }' "$HLOG"; }

# --- state A accepted; a planted template cache ----------------------------
run_vzpkg -q update metadata "$OST"
[ "$RC" = 0 ] || fail "update metadata of a good repository exited $RC$(vzpkg_log)"
plant_cache "$OST"
snapshot good
META_KIB=$(du -sk "$METADATA_CACHE" | cut -f1)

# --- an endless InRelease (chunked: no Content-Length) ------------------------
rules "{\"/dists/$SUITE/InRelease\": \"endless-chunked\"}"
timed "endless InRelease" -q update metadata "$OST"
check_error "$EXIT_VERIFY" "$INREL_URL"
grep -q "cut off" "$ERR" || fail "endless InRelease: the error does not say it was cut off: $(cat "$ERR")"
check_unchanged good "endless InRelease"
check_disk "endless InRelease" $((META_KIB + 1024))
check_cache_untouched
assert_no_leftovers
sent=$(sent_bytes "/dists/$SUITE/InRelease")
[ "$sent" -le $((48 << 20)) ] || fail "endless InRelease: the client read $sent bytes (cap 16 MiB)"
say "endless InRelease: cut off after ${ELAPSED}s, the server got $sent bytes out"

# --- an endless .deb whose Packages entry has a small Size ---------------------
PKG=apt
FILE=$(repo_field "$REPO" "$PKG" Filename)
SIZE=$(repo_field "$REPO" "$PKG" Size)
[ -n "$FILE" ] && [ -n "$SIZE" ] || fail "no $PKG in the test repository"
rules "{\"/$FILE\": \"endless-close\"}"
timed "endless .deb" -q fetch "$OST"
check_error "$EXIT_VERIFY" "$MIRROR/$FILE"
grep -q "cut off" "$ERR" || fail "endless .deb: the error does not say it was cut off: $(cat "$ERR")"
POOL_KIB=$(du -sk "$REPO/pool" | cut -f1) # every legitimate package, at most
check_disk "endless .deb" $((META_KIB + POOL_KIB))
SHA=$(repo_field "$REPO" "$PKG" SHA256)
! find "$PKG_CACHE" -name "$SHA*" | grep -q . || fail "endless .deb: something was stored under $PKG's digest"
check_cache_untouched
assert_no_leftovers
say "endless .deb ($SIZE bytes signed): cut off after ${ELAPSED}s"
rm -rf "${PKG_CACHE:?}"/*
snapshot good

# --- trickling: below the low-speed limit, and above it for ever ------------------
for mode in slow drip; do
	rules "{\"/dists/$SUITE/InRelease\": \"$mode\"}"
	timed "$mode InRelease" -q update metadata "$OST"
	check_error "$EXIT_DOWNLOAD" "$INREL_URL"
	grep -q "timed out" "$ERR" || fail "$mode InRelease: the error does not say it timed out: $(cat "$ERR")"
	check_unchanged good "$mode InRelease"
	check_disk "$mode InRelease" $((META_KIB + 64))
	check_cache_untouched
	assert_no_leftovers
	say "$mode InRelease: given up after ${ELAPSED}s"
done
[ "$ELAPSED" -ge 7 ] || fail "drip InRelease: stopped after ${ELAPSED}s, before DOWNLOAD_TIMEOUT (8s)"
rules '{}'

# --- replay: state B accepted, then A's validly signed InRelease again --------------
# A manifest that is current for state A (status resolves without a base
# system: the planted archive stands for the cache).
cat >"$TEMPLATE/cache/$OST.json" <<-EOF
	{"template": "$OST", "packages": []}
EOF
run_vzpkg --json status "$OST"
[ "$RC" = 22 ] || fail "status with an empty manifest exited $RC, expected 22$(vzpkg_log)"
python3 -c '
import json, sys
st = json.load(open(sys.argv[1]))[0]
pk = [{"name": p["name"], "arch": p["arch"], "version": p["version"]} for p in st["new"]]
json.dump({"template": sys.argv[2], "packages": pk}, open(sys.argv[3], "w"))
' "$OUT" "$OST" "$TEMPLATE/cache/$OST.json"
run_vzpkg status "$OST"
[ "$RC" = 0 ] && grep -qxF "$OST: current" "$OUT" || fail "status of state A is not current$(vzpkg_log)"
sha256sum "$TEMPLATE/cache/$OST.tar.zst" "$TEMPLATE/cache/$OST.json" >"$TEST_TMP/planted.sha256"

cp -a "$REPO/dists" "$TEST_TMP/dists.A"
DATE_A=$(sed -n 's/^Date: //p' "$REPO/dists/$SUITE/Release")
repo_bump_package "$REPO" "$PKG" +vzt1
republish_repo "$REPO"
DATE_B=$(sed -n 's/^Date: //p' "$REPO/dists/$SUITE/Release")
run_vzpkg status "$OST"
[ "$RC" = 22 ] && grep -qxF "$OST: stale" "$OUT" || fail "status of state B is not stale (exit $RC)$(vzpkg_log)"
snapshot B

# The attacker serves A again, with a new Last-Modified (If-Modified-Since
# must not hide it).
rm -rf "$REPO/dists"
cp -r "$TEST_TMP/dists.A" "$REPO/dists"
touch -d "@$(($(date +%s) + 10))" "$REPO/dists/$SUITE/InRelease" "$REPO/dists/$SUITE/Release" "$REPO/dists/$SUITE/Release.gpg"
timed "replayed InRelease" -q update metadata "$OST"
check_error "$EXIT_VERIFY" "$INREL_URL" "$DATE_A" "$DATE_B" replay
check_unchanged B "replayed InRelease (update metadata)"
timed "replayed InRelease" -q status "$OST"
check_error "$EXIT_VERIFY" "$INREL_URL" replay
! grep -q "current" "$OUT" || fail "status printed 'current' from the replayed state: $(cat "$OUT")"
check_unchanged B "replayed InRelease (status)"
check_cache_untouched
assert_no_leftovers
[ -z "$(find "$METADATA_CACHE" -name '*.prev' -o -name '*.new')" ] ||
	fail "kept copies left in the metadata cache: $(find "$METADATA_CACHE" -name '*.prev' -o -name '*.new')"

# The same state B again (equal Date) is fine, and status still sees the update.
rm -rf "$REPO/dists"
republish_repo "$REPO"
run_vzpkg -q update metadata "$OST"
[ "$RC" = 0 ] || fail "update metadata after the replay, with a newer state, exited $RC$(vzpkg_log)"
run_vzpkg status "$OST"
[ "$RC" = 22 ] && grep -qF "  $PKG " "$OUT" || fail "status after the replay does not list the update of $PKG (exit $RC)$(vzpkg_log)"

echo "PASS: $TEST_NAME"
