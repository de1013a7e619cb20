#!/bin/bash
# Reproducible caches: two 'create cache -f' of the same template from the
# same repository state give byte-identical archives, by default (the newest
# Release Date is the timestamp) and with SOURCE_DATE_EPOCH set to that same
# date.  When they differ, the test says what is not normalised.
#
# The stage cache (STAGE_CACHE) must not change a byte either: build 1 runs
# with --no-stage-cache, build 2 fills the stage cache, build 3 starts from
# its finished root.  Then a post-install hook and one more package in the
# template: the build starts from the saved essential set, gives another
# cache, and exactly the one a build without the stage cache gives.  With
# the change undone, the first finished root is used again.
#
# Nor the build root in memory (BUILD_TMPFS): build 1 runs on disk
# (BUILD_TMPFS=no), the others with the default, which puts the root on
# tmpfs on a machine with 4 GiB of memory available, and with it each
# package decompressed once, ahead of dpkg (build.md).
. "$(dirname "$0")/lib.sh"

# The default, not a value the caller's environment happens to carry.
unset SOURCE_DATE_EPOCH
setup_lc_env
CACHE=$TEMPLATE/cache/$OST.tar.zst
STAGES=$TEST_TMP/stages
config_set STAGE_CACHE "$STAGES"
BUILD_LOG=$LOG_DIR/$OST.log

# build N [VAR=VALUE...]: create cache -f with the extra environment; the
# archive is kept as $TEST_TMP/build-N.tar.zst.
# OPTS: more options of create cache (--no-stage-cache).
OPTS=()
build() {
	local n=$1
	shift
	RC=0
	rm -f "$BUILD_LOG"  # appended to by every build: one build's log each
	env "$@" timeout -k 10 "${VZPKG_TEST_TIMEOUT:-600}" "$VZPKG" -c "$CONF" -q create cache -f "${OPTS[@]}" "$OST" \
		>"$OUT" 2>"$ERR" || RC=$?
	[ "$RC" = 0 ] || fail "build $n (${*:-default environment}): vzpkg create cache -f $OST exited $RC$(vzpkg_log)"
	assert_no_leftovers
	[ -s "$CACHE" ] || fail "build $n made no cache $CACHE"
	cp "$CACHE" "$TEST_TMP/build-$n.tar.zst"
	cp "$TEMPLATE/cache/$OST.json" "$TEST_TMP/build-$n.json"
	cp "$BUILD_LOG" "$TEST_TMP/build-$n.log"
	sha256sum <"$CACHE" | cut -d' ' -f1 >"$TEST_TMP/build-$n.sha256"
	# the packer hashes the archive as it writes it, for the manifest
	[ "$(jq -r .cache_sha256 "$TEST_TMP/build-$n.json")" = "$(cat "$TEST_TMP/build-$n.sha256")" ] ||
		fail "build $n: the manifest's cache_sha256 is not the SHA-256 of $CACHE"
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

# stages_saved: how many stages the stage cache holds.
stages_saved() { find "$STAGES" -maxdepth 1 -name '*.stage.tar.zst' 2>/dev/null | wc -l; }
# restored WHAT: the build log says WHAT came from the stage cache.
restored() { grep -q "^### $1 restored from the stage cache" "$BUILD_LOG"; }
# same A B WHY: builds A and B gave the same file.
same() {
	local a b
	a=$(cat "$TEST_TMP/build-$1.sha256")
	b=$(cat "$TEST_TMP/build-$2.sha256")
	[ "$a" = "$b" ] || explain "$1" "$2" "$3 (sha256 $a vs $b)"
	# the manifest's package order follows the resolver's pool, which is
	# read from the Packages file or from libsolv's cache: compare the sets
	jq -S '.packages |= sort_by(.name, .arch)' "$TEST_TMP/build-$1.json" >"$TEST_TMP/m-$1.json"
	jq -S '.packages |= sort_by(.name, .arch)' "$TEST_TMP/build-$2.json" >"$TEST_TMP/m-$2.json"
	cmp -s "$TEST_TMP/m-$1.json" "$TEST_TMP/m-$2.json" ||
		fail "$3: the manifests differ: $(diff "$TEST_TMP/m-$1.json" "$TEST_TMP/m-$2.json" | head -n 20)"
}

# Build 1 and build 2: the defaults.  Build 2 runs later (every file dpkg
# writes gets a later mtime), with a warm package cache and another time
# zone, none of which may show in the archive.  Build 1 does every step;
# build 2 with an empty stage cache too, and fills it.
in_memory() { grep -c '^### the build root is in memory' "$BUILD_LOG" || true; }
OPTS=(--no-stage-cache)
config_set BUILD_TMPFS no
build 1
[ "$(in_memory)" = 0 ] || fail "build 1 put its root on tmpfs with BUILD_TMPFS=no"
! grep -q '^### packages decompressed ahead' "$BUILD_LOG" || fail "build 1 (root on disk) decompressed packages ahead"
config_set BUILD_TMPFS auto
[ "$(stages_saved)" = 0 ] || fail "create cache --no-stage-cache saved $(stages_saved) stages in $STAGES"
OPTS=()
build 2 TZ=Pacific/Chatham LC_ALL=C.UTF-8
if [ "$(awk '/^MemAvailable:/ { print ($2 >= 4 * 1048576) }' /proc/meminfo)" = 1 ]; then
	[ "$(in_memory)" = 1 ] || fail "build 2 did not put its root on tmpfs with BUILD_TMPFS=auto and 4 GiB available$(vzpkg_log)"
	# with the root in memory, each package is decompressed once, ahead of dpkg
	grep -q '^### packages decompressed ahead' "$BUILD_LOG" ||
		fail "build 2 (root in memory) did not decompress the packages ahead$(vzpkg_log)"
	grep -q "vzpkg-build" /proc/mounts && fail "the build's tmpfs is visible outside vzpkg (in the test's /proc/mounts)"
else
	say "less than 4 GiB of memory available: build 2 ran on disk too (BUILD_TMPFS=auto)"
fi
! restored "the finished root" && ! restored "the essential set" ||
	fail "build 2 restored a stage from an empty stage cache"
[ "$(stages_saved)" = 2 ] || fail "build 2 saved $(stages_saved) stages, expected 2 (essential set, finished root)"
# a zstd cache is its own finished-root stage (build 3 restores it and must pack the same bytes)
fkey=$(sed -n 's/^### stage final: key \([0-9a-f]\{64\}\)$/\1/p' "$BUILD_LOG" | tail -n 1)
[ -n "$fkey" ] || fail "build 2's log names no final stage key"
cmp -s "$STAGES/$fkey.stage.tar.zst" "$TEST_TMP/build-2.tar.zst" ||
	fail "build 2's finished-root stage is not a copy of its zstd cache"
same 1 2 "two builds with the default timestamp differ (build 2 filled the stage cache)"

# Build 3: SOURCE_DATE_EPOCH set to the Release Date that the default uses:
# the same inputs, so the finished root of build 2.
build 3 SOURCE_DATE_EPOCH="$release"
restored "the finished root" || fail "build 3 (the inputs of build 2) did not start from the saved finished root"
same 1 3 "a build with SOURCE_DATE_EPOCH=$release (the repository's Release Date, from the stage cache) differs from the default build"

# Build 4: a post-install hook and one more package: the essential set comes
# from the stage cache, the rest is built again.  Build 5, without the stage
# cache, must give the same file.
EXTRA=
# a package outside the essential set (an awk would change it: gawk is
# preferred to mawk as the awk the essential set needs)
for p in procps libbsd0 libexpat1; do
	if ! grep -q "^$p\$" "$TDIR/packages" && [ -n "$(repo_field "$REPO" "$p" Filename)" ]; then
		EXTRA=$p
		break
	fi
done
[ -n "$EXTRA" ] || fail "no package of the repository to add to the template (procps, libbsd0, libexpat1)"
cp "$TDIR/packages" "$TEST_TMP/packages.orig"
echo "$EXTRA" >>"$TDIR/packages"
add_hook post-install 'echo staged >/etc/vzpkg-stage-test'
build 4
restored "the essential set" || fail "build 4 (a new hook and package) did not start from the saved essential set"
! restored "the finished root" || fail "build 4 used the finished root of a build without its hook and package"
s1=$(cat "$TEST_TMP/build-1.sha256")
[ "$(cat "$TEST_TMP/build-4.sha256")" != "$s1" ] || fail "build 4 (a new hook and package) gave build 1's cache"
tar --zstd -xOf "$TEST_TMP/build-4.tar.zst" ./etc/vzpkg-stage-test 2>/dev/null | grep -qx staged ||
	fail "build 4's cache lacks the file its post-install hook wrote"
tar --zstd -xOf "$TEST_TMP/build-4.tar.zst" ./templates/vzpackages | awk -v p="$EXTRA" '$1 == p { f = 1 } END { exit !f }' ||
	fail "build 4's cache lacks the package $EXTRA added to the template"
OPTS=(--no-stage-cache)
build 5
same 4 5 "the build from the saved essential set (4) differs from the same build without the stage cache (5)"

# Build 6: the change undone: build 2's finished root again.
cp "$TEST_TMP/packages.orig" "$TDIR/packages"
rm -f "$TDIR/post-install"
OPTS=()
build 6
restored "the finished root" || fail "build 6 (the template as in build 2) did not use build 2's finished root"
same 1 6 "the template back as it was, the finished root from the stage cache differs from build 1"

# clean removes every stage.
run_vzpkg clean
[ "$RC" = 0 ] || fail "vzpkg clean exited $RC$(vzpkg_log)"
[ "$(stages_saved)" = 0 ] || fail "vzpkg clean left $(stages_saved) stages in $STAGES"

echo "PASS: $TEST_NAME"
