#!/bin/bash
# A third-party-style EZ template (vztt semantics, docs/internals/metadata.md):
# a set with its own packages_0 (line groups) and packages_1, its own
# repository (a second signed repository, appended to os/default's) and its
# own hooks, os/default's hooks as fallback. The cache has every stage
# package installed; mid-pre-install and mid-post-install run after the
# stages are unpacked and before anything of `packages` is; the hooks run
# in the EZ order. Beside it an unconfigured template ($VARIABLE undefined):
# `create cache` and `update metadata` with no name skip it with a one-line
# warning and exit 0; named, it fails (exit 3).
. "$(dirname "$0")/lib.sh"

# ctest: heavy
setup_repo_env apt
EXTRA_PKG=util-linux-extra  # only in the set's repository (the essential util-linux needs it)
STAGE0=(apt gpgv)           # one line: a group
STAGE0B=adduser             # a second line
# Neither may be in the base set (Essential, required and what they pull
# in, with apt's choices: e.g. init-system-helpers' "usrmerge |
# usr-is-merged" brings usrmerge and its perl modules), nor an awk (which
# would join the essential set): packages of openssh-server's closure.
STAGE1=ucf                  # packages_1
LATE=runit-helper           # in packages only
INIT=
if deb_in_cache systemd-sysv; then
	INIT=systemd-sysv
	STAGE0+=(systemd-sysv)
else
	say "the test repository has no systemd-sysv: the cache is checked without an init system"
fi
for p in "${STAGE0[@]}" $STAGE0B $STAGE1 $LATE; do
	[ "$(repo_field "$REPO" "$p" Priority)" != required ] && [ -z "$(repo_field "$REPO" "$p" Essential)" ] ||
		fail "test setup: $p is in the base set; it cannot show that a stage is installed"
done

# The set's repository: $EXTRA_PKG alone, taken out of the main one.
EXTRA=$TEST_TMP/extra-repo
file=$(repo_field "$REPO" $EXTRA_PKG Filename)
mkdir -p "$EXTRA/pool/main"
cp "$REPO/$file" "$EXTRA/pool/main/"
rm -f "$REPO/$file"
republish_repo "$REPO"
repo_index "$EXTRA"
repo_sign "$EXTRA" test
serve "$EXTRA"
config_var TEST_EXTRA_MIRROR "http://127.0.0.1:$PORT"

# os/default: the base's hooks (pre-cache, post-cache used; post-install overridden).
BASE=$TDIR
add_hook pre-cache 'echo pre-cache >>"$1/vzpkg-order"'
add_hook post-cache 'echo post-cache >>"$1/vzpkg-order"'
add_hook post-install 'echo base-post-install >>/vzpkg-order'
plant_cache debian-12-x86_64 # a cache exists: create cache with no name leaves it

make_template thirdparty $LATE
rm "$TDIR/repositories" && echo "\$TEST_EXTRA_MIRROR $SUITE main" >"$TDIR/repositories"
printf '%s\n' "${STAGE0[*]}" "$STAGE0B" >"$TDIR/packages_0"
echo $STAGE1 >"$TDIR/packages_1"
STATE="for p in ${STAGE0[*]} $STAGE0B $STAGE1 $LATE; do
	printf ' %s=%s' \$p \"\$(dpkg-query -W -f='\${db:Status-Status}' \$p 2>/dev/null || echo none)\"
done"
add_hook mid-pre-install "{ printf mid-pre-install; $STATE; echo; } >>/vzpkg-order"
add_hook mid-post-install "{ printf mid-post-install; $STATE; echo; } >>/vzpkg-order"
add_hook post-install "{ printf post-install; $STATE; echo; } >>/vzpkg-order"

# An OS template nobody configured.
ODIR=$TEMPLATE/otheros/1/x86_64/config/os/default
mkdir -p "$ODIR"
echo apt >"$ODIR/packages"
echo dpkgx64 >"$ODIR/package_manager"
echo "\$VZPKG_TEST_UNDEFINED_MIRROR $SUITE main" >"$ODIR/repositories"

run_vzpkg create cache
[ "$RC" = 0 ] || fail "create cache (no name) exited $RC$(vzpkg_log)"
n=$(grep -c 'otheros-1-x86_64' "$ERR" || true)
[ "$n" = 1 ] || fail "expected one warning line naming otheros-1-x86_64, got $n$(vzpkg_log)"
grep 'otheros-1-x86_64' "$ERR" | grep -q '^vzpkg: warning: .*\$VZPKG_TEST_UNDEFINED_MIRROR' ||
	fail "the warning does not say which variable is missing: $(cat "$ERR")"
sha256sum --quiet -c "$TEST_TMP/planted.sha256" >/dev/null 2>&1 || fail "the existing debian-12-x86_64 cache was rebuilt"
[ -s "$TEMPLATE/cache/debian-12-x86_64-thirdparty.tar.zst" ] || fail "no cache for the third-party set$(vzpkg_log)"
assert_no_leftovers

ROOT=$TEST_TMP/unpacked
unpack_cache "$TEMPLATE/cache/debian-12-x86_64-thirdparty.tar.zst" "$ROOT"
for p in "${STAGE0[@]}" $STAGE0B $STAGE1 $EXTRA_PKG $LATE; do
	st=$(dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || fail "$p is '$st' in the cache, expected installed"
	grep -q "^ $p " "$ROOT/templates/vzpackages" || fail "$p is not in templates/vzpackages"
done
if [ -n "$INIT" ]; then
	[ -e "$ROOT/sbin/init" ] || [ -L "$ROOT/sbin/init" ] || fail "no /sbin/init in the cache though $INIT is installed"
fi
check_root_sane "$ROOT"

# The order, and what each hook saw: the stages unpacked (not configured)
# around the mid-install hooks, the packages-only one absent; all installed later.
unpacked="" installed=""
for p in "${STAGE0[@]}" $STAGE0B $STAGE1; do
	unpacked+=" $p=unpacked"
	installed+=" $p=installed"
done
want="pre-cache
mid-pre-install$unpacked $LATE=none
mid-post-install$unpacked $LATE=none
post-cache
post-install$installed $LATE=installed"
got=$(cat "$ROOT/vzpkg-order" 2>/dev/null || true)
[ "$got" = "$want" ] || fail "hook order and states:
--- got ---
$got
--- expected ---
$want"

run_vzpkg update metadata
[ "$RC" = 0 ] || fail "update metadata (no name) exited $RC$(vzpkg_log)"
grep -q '^vzpkg: warning: otheros-1-x86_64' "$ERR" || fail "update metadata: no warning for otheros-1-x86_64$(vzpkg_log)"
run_vzpkg create cache otheros-1-x86_64
[ "$RC" = "$EXIT_BROKEN" ] || fail "create cache of the named unconfigured template exited $RC, expected $EXIT_BROKEN$(vzpkg_log)"
grep -q 'VZPKG_TEST_UNDEFINED_MIRROR' "$ERR" || fail "the error does not name the variable: $(cat "$ERR")"
echo "PASS: $TEST_NAME"
