#!/bin/bash
# localinstall / localupdate of package files from the host (Debian): a .deb
# built here with dpkg-deb that depends on a repository package is refused
# without --unsigned (no signed repository publishes it; exit 81, the
# container unchanged) and installed with it, its dependency coming from the
# repository (dpkg's status has both, vzpackages agrees); a .deb the signed
# repository publishes goes in without --unsigned; localupdate takes a newer
# local version and skips a file whose package is not installed; a tampered
# .deb, an oversized file and a symbolic link are refused in one line naming
# the file and leave the container as it was.
. "$(dirname "$0")/lib.sh"

command -v dpkg-deb >/dev/null || skip "dpkg-deb is not installed"
setup_lc_env
setup_ct_env 1
create_cts "$OST" 101
ROOT=$(ct_private 101)

DEP=$(uninstalled_pkg 101 original-awk gawk)
say "the local package depends on $DEP"

# make_deb NAME VERSION DEPENDS OUT: a small arch-all .deb with a payload
# large enough that its data.tar.xz has real compressed data to tamper with.
make_deb() {
	local d=$TEST_TMP/build-$1-$2
	mkdir -p "$d/DEBIAN" "$d/usr/share/$1"
	cat >"$d/DEBIAN/control" <<-EOF
		Package: $1
		Version: $2
		Architecture: all
		Maintainer: vzpkg tests <tests@vzpkg-test.invalid>
		Depends: $3
		Description: localinstall test package
	EOF
	echo "$1 $2" >"$d/usr/share/$1/version"
	head -c 200000 /dev/urandom | base64 >"$d/usr/share/$1/noise"
	dpkg-deb --root-owner-group -Zxz -b "$d" "$4" >/dev/null
}

dpkg_state() { python3 "$HELPERS" installed "$ROOT/var/lib/dpkg/status" | LC_ALL=C sort; }

# refused WHAT FILE ARGS...: vzpkg ARGS exits 81, names FILE in exactly one
# line, and leaves dpkg's status and templates/ as they were.
refused() {
	local what=$1 file=$2 n
	shift 2
	dpkg_state >"$TEST_TMP/state.before"
	tree_manifest "$ROOT/templates" "$TEST_TMP/templates.before" content
	run_vzpkg "$@"
	[ "$RC" = "$EXIT_VERIFY" ] || fail "$what: vzpkg $* exited $RC, expected $EXIT_VERIFY$(vzpkg_log)"
	n=$(cat "$OUT" "$ERR" | grep -cF "$file" || true)
	[ "$n" = 1 ] || fail "$what: $n lines of the output name $file, expected one$(vzpkg_log)"
	dpkg_state >"$TEST_TMP/state.after"
	cmp -s "$TEST_TMP/state.before" "$TEST_TMP/state.after" ||
		fail "$what changed the container's packages: $(diff_lines "$TEST_TMP/state.before" "$TEST_TMP/state.after")"
	tree_manifest "$ROOT/templates" "$TEST_TMP/templates.after" content
	cmp -s "$TEST_TMP/templates.before" "$TEST_TMP/templates.after" || fail "$what changed $ROOT/templates"
	ct_no_leftovers
}

V1=$TEST_TMP/files/vzt-local_1.0_all.deb
V2=$TEST_TMP/files/vzt-local_2.0_all.deb
OTHER=$TEST_TMP/files/vzt-other_1.0_all.deb
mkdir -p "$TEST_TMP/files"
make_deb vzt-local 1.0 "$DEP" "$V1"
make_deb vzt-local 2.0 "$DEP" "$V2"
make_deb vzt-other 1.0 "$DEP" "$OTHER"

# --- unsigned: refused without --unsigned -----------------------------------------
refused "localinstall of an unpublished .deb without --unsigned" "$V1" localinstall 101 "$V1"
grep -q -- --unsigned "$OUT" "$ERR" || fail "the refusal does not say --unsigned$(vzpkg_log)"

# --- -n: the plan names the file's package and its dependency ---------------------
run_vzpkg localinstall -n 101 "$V1" --unsigned
[ "$RC" = 0 ] || fail "localinstall -n 101 --unsigned exited $RC$(vzpkg_log)"
grep -q "install vzt-local 1.0" "$OUT" && grep -q "install $DEP " "$OUT" ||
	fail "localinstall -n does not plan vzt-local 1.0 and $DEP$(vzpkg_log)"
[ -z "$(deb_installed_version 101 vzt-local)" ] || fail "localinstall -n installed vzt-local"

# --- installed with --unsigned, the dependency from the repository ----------------
run_vzpkg localinstall 101 "$V1" --unsigned
[ "$RC" = 0 ] || fail "localinstall 101 $V1 --unsigned exited $RC$(vzpkg_log)"
ct_no_leftovers
ct_check_deb 101
[ "$(deb_installed_version 101 vzt-local)" = 1.0 ] || fail "vzt-local 1.0 is not installed after localinstall"
[ -n "$(deb_installed_version 101 "$DEP")" ] || fail "the dependency $DEP was not installed from the repository"
[ "$(cat "$ROOT/usr/share/vzt-local/version")" = "vzt-local 1.0" ] || fail "vzt-local's file is not in the container"
want=$(repo_field "$REPO" "$DEP" Version)
[ "$(deb_installed_version 101 "$DEP")" = "$want" ] || fail "$DEP is not the repository's version $want"

# --- a .deb the signed repository publishes: no --unsigned needed -----------------
PUB=$(uninstalled_pkg 101 libexpat1 libjson-c5 libnsl2 libedit2)
cp "$REPO/$(repo_field "$REPO" "$PUB" Filename)" "$TEST_TMP/files/"
PUBFILE=$TEST_TMP/files/$(basename "$(repo_field "$REPO" "$PUB" Filename)")
run_vzpkg localinstall 101 "$PUBFILE"
[ "$RC" = 0 ] || fail "localinstall of the repository's own $PUB file exited $RC$(vzpkg_log)"
[ -n "$(deb_installed_version 101 "$PUB")" ] || fail "$PUB is not installed after localinstall of its published file"
ct_check_deb 101

# --- localupdate --------------------------------------------------------------------
run_vzpkg localupdate 101 "$OTHER" --unsigned
[ "$RC" = 0 ] || fail "localupdate of a package that is not installed exited $RC$(vzpkg_log)"
[ -z "$(deb_installed_version 101 vzt-other)" ] || fail "localupdate installed vzt-other, which was not installed"
grep -q "not installed" "$ERR" || fail "localupdate does not say vzt-other is not installed$(vzpkg_log)"
run_vzpkg localupdate 101 "$V2" --unsigned
[ "$RC" = 0 ] || fail "localupdate 101 $V2 --unsigned exited $RC$(vzpkg_log)"
[ "$(deb_installed_version 101 vzt-local)" = 2.0 ] || fail "vzt-local is not 2.0 after localupdate"
[ "$(cat "$ROOT/usr/share/vzt-local/version")" = "vzt-local 2.0" ] || fail "vzt-local 2.0's file is not in the container"
ct_check_deb 101
ct_no_leftovers
# the older file again: skipped, nothing changes
dpkg_state >"$TEST_TMP/state.v2"
run_vzpkg localinstall 101 "$V1" --unsigned
[ "$RC" = 0 ] || fail "localinstall of an older version exited $RC$(vzpkg_log)"
dpkg_state >"$TEST_TMP/state.v2.after"
cmp -s "$TEST_TMP/state.v2" "$TEST_TMP/state.v2.after" || fail "localinstall of vzt-local 1.0 over 2.0 changed the container"

# --- hostile files ------------------------------------------------------------------
BAD=$TEST_TMP/files/vzt-local_3.0_all.deb
make_deb vzt-local 3.0 "$DEP" "$BAD"
python3 - "$BAD" <<-'PY'
	import sys
	p = sys.argv[1]
	b = bytearray(open(p, "rb").read())
	i = b.index(b"data.tar.xz") + 60 + 200   # into the compressed stream of the data member
	for k in range(i, i + 16):
	    b[k] ^= 0xFF
	open(p, "wb").write(b)
PY
refused "a tampered .deb" "$BAD" localinstall 101 "$BAD" --unsigned
BIG=$TEST_TMP/files/vzt-big_1.0_all.deb
truncate -s $((1024 * 1024 * 1024 + 1)) "$BIG"
refused "a file over 1 GiB" "$BIG" localinstall 101 "$BIG" --unsigned
LINK=$TEST_TMP/files/vzt-link.deb
ln -s "$V2" "$LINK"
refused "a symbolic link" "$LINK" localinstall 101 "$LINK" --unsigned
[ "$(deb_installed_version 101 vzt-local)" = 2.0 ] || fail "vzt-local is no longer 2.0 after the refusals"

# --- not a container: vztt's 16 ----------------------------------------------------
run_vzpkg localinstall 999 "$V2" --unsigned
[ "$RC" = "$EXIT_NO_CT" ] || fail "localinstall into a missing container exited $RC, expected $EXIT_NO_CT$(vzpkg_log)"
say "ok"
