#!/bin/bash
# Reproducible caches: two 'create cache -f' of the same template from the
# same repository state give byte-identical archives, by default (the newest
# Release Date is the timestamp) and with SOURCE_DATE_EPOCH set to that same
# date.  When they differ, the test says what is not normalised.
. "$(dirname "$0")/lib.sh"

# The default, not a value the caller's environment happens to carry.
unset SOURCE_DATE_EPOCH
setup_lc_env
CACHE=$TEMPLATE/cache/$OST.tar.zst

# build N [VAR=VALUE...]: create cache -f with the extra environment; the
# archive is kept as $TEST_TMP/build-N.tar.zst.
build() {
	local n=$1
	shift
	RC=0
	env "$@" timeout -k 10 "${VZPKG_TEST_TIMEOUT:-600}" "$VZPKG" -c "$CONF" -q create cache -f "$OST" \
		>"$OUT" 2>"$ERR" || RC=$?
	[ "$RC" = 0 ] || fail "build $n (${*:-default environment}): vzpkg create cache -f $OST exited $RC$(vzpkg_log)"
	assert_no_leftovers
	[ -s "$CACHE" ] || fail "build $n made no cache $CACHE"
	cp "$CACHE" "$TEST_TMP/build-$n.tar.zst"
	sha256sum <"$CACHE" | cut -d' ' -f1 >"$TEST_TMP/build-$n.sha256"
}

# explain A B WHAT: fail, saying how archives A and B differ.
explain() {
	local a=$TEST_TMP/build-$1 b=$TEST_TMP/build-$2 why
	zstd -qdc "$a.tar.zst" >"$a.tar" || fail "$3; and build $1's archive is not valid zstd"
	zstd -qdc "$b.tar.zst" >"$b.tar" || fail "$3; and build $2's archive is not valid zstd"
	if cmp -s "$a.tar" "$b.tar"; then
		why="the uncompressed tar streams are identical: the zstd compression is not deterministic"
	else
		why=$(python3 "$HELPERS" tar-diff "$a.tar" "$b.tar") ||
			true
		[ -n "$why" ] || why="every entry agrees in name, order, type, mode, owners, size, mtime,
link target, pax headers and content; the tar framing differs: $(cmp "$a.tar" "$b.tar" | head -n 1)"
		why="$why
listings (tar -tv --full-time, < build $1, > build $2):
$(diff <(tar -tvf "$a.tar" --full-time --numeric-owner) <(tar -tvf "$b.tar" --full-time --numeric-owner) |
			grep '^[<>]' | head -n 30 || true)"
	fi
	fail "$3:
$why"
}

release=$(repo_release_epoch "$REPO")

# Build 1 and build 2: the defaults.  Build 2 runs later (every file dpkg
# writes gets a later mtime), with a warm package cache and another time
# zone, none of which may show in the archive.
build 1
build 2 TZ=Pacific/Chatham LC_ALL=C.UTF-8
s1=$(cat "$TEST_TMP/build-1.sha256")
s2=$(cat "$TEST_TMP/build-2.sha256")
[ "$s1" = "$s2" ] ||
	explain 1 2 "two builds with the default timestamp differ (sha256 $s1 vs $s2)"

# Build 3: SOURCE_DATE_EPOCH set to the Release Date that the default uses.
build 3 SOURCE_DATE_EPOCH="$release"
s3=$(cat "$TEST_TMP/build-3.sha256")
[ "$s1" = "$s3" ] ||
	explain 1 3 "a build with SOURCE_DATE_EPOCH=$release (the repository's Release Date) differs from the default build (sha256 $s1 vs $s3)"

echo "PASS: $TEST_NAME"
