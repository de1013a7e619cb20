#!/bin/bash
# localinstall of .rpm files (the vztest RPM distribution): a local package
# signed with the template's key that requires a repository package not
# installed goes in with it (rpm -Va clean, vzpackages right); one signed
# by another key and an unsigned one are refused (exit 81, one line naming
# the file, the rpm database unchanged); the unsigned one goes in with
# --unsigned, and with --unsigned a tampered one is still refused.
. "$(dirname "$0")/lib.sh"

BASE=()
for p in "${RPM_TEMPLATE_PACKAGES[@]}"; do [ "$p" = vzt-watcher ] || BASE+=("$p"); done
setup_rpm_env "${BASE[@]}"
config_set METADATA_EXPIRE 0
setup_ct_env 1
create_cts "$OST" 101
ROOT=$(ct_private 101)
FILES=$TEST_TMP/files

# local_rpm NAME KEY|-: a noarch package NAME-1.0-1 requiring vzt-watcher,
# built and signed (or not) here; prints its path.
local_rpm() {
	local spec=$TEST_TMP/$1.spec
	cat >"$spec" <<-EOF
		Name: $1
		Version: 1.0
		Release: 1
		Summary: localinstall test package
		License: GPL-2.0-or-later
		BuildArch: noarch
		Requires: vzt-watcher
		%description
		Made by $TEST_NAME.
		%install
		mkdir -p %{buildroot}/usr/share/$1
		echo "$1 1.0" >%{buildroot}/usr/share/$1/version
		%files
		/usr/share/$1
	EOF
	"$RPM_TOOLS/build-template-rpm.sh" "$FILES/$1" "$RPM_KEYS" "$2" "$spec" >>"$TEST_TMP/rpm-build.log" 2>&1 ||
		fail "building $1 failed: $(tail -n 20 "$TEST_TMP/rpm-build.log")"
	ls "$FILES/$1"/*.rpm
}

# refused WHAT FILE ARGS...: exit 81, one line naming FILE, rpm db unchanged.
refused() {
	local what=$1 file=$2 n
	shift 2
	rpm_root_db "$ROOT"
	rpm_installed >"$TEST_TMP/db.before"
	run_vzpkg "$@"
	[ "$RC" = "$EXIT_VERIFY" ] || fail "$what: vzpkg $* exited $RC, expected $EXIT_VERIFY$(vzpkg_log)"
	n=$(cat "$OUT" "$ERR" | grep -cF "$file" || true)
	[ "$n" = 1 ] || fail "$what: $n lines of the output name $file, expected one$(vzpkg_log)"
	rpm_installed >"$TEST_TMP/db.after"
	cmp -s "$TEST_TMP/db.before" "$TEST_TMP/db.after" || fail "$what changed the rpm database"
	ct_no_leftovers
}

GOOD=$(local_rpm vzt-local good)
OTHER=$(local_rpm vzt-otherkey other)
UNSIGNED=$(local_rpm vzt-unsigned -)
TAMPERED=$FILES/vzt-tampered.rpm
python3 - "$UNSIGNED" "$TAMPERED" <<-'PY'
	import sys
	b = bytearray(open(sys.argv[1], "rb").read())
	b[-100] ^= 0xFF   # in the compressed payload: its digest no longer matches
	open(sys.argv[2], "wb").write(b)
PY

refused "an .rpm signed by another key" "$OTHER" localinstall 101 "$OTHER"
refused "an unsigned .rpm" "$UNSIGNED" localinstall 101 "$UNSIGNED"
grep -q -- --unsigned "$OUT" "$ERR" || fail "the refusal does not say --unsigned$(vzpkg_log)"
refused "a tampered .rpm with --unsigned" "$TAMPERED" localinstall 101 "$TAMPERED" --unsigned

run_vzpkg localinstall 101 "$GOOD"
[ "$RC" = 0 ] || fail "localinstall 101 $GOOD exited $RC$(vzpkg_log)"
ct_no_leftovers
ct_check_rpm 101
grep -qx 'vzt-local noarch 1.0-1' "$TEST_TMP/installed.101" || fail "vzt-local 1.0-1 is not installed"
grep -q '^vzt-watcher ' "$TEST_TMP/installed.101" || fail "its dependency vzt-watcher was not installed from the repository"
[ "$(cat "$ROOT/usr/share/vzt-local/version")" = "vzt-local 1.0" ] || fail "vzt-local's file is not in the container"

run_vzpkg localinstall 101 "$UNSIGNED" --unsigned
[ "$RC" = 0 ] || fail "localinstall --unsigned of an unsigned .rpm exited $RC$(vzpkg_log)"
grep -qF "$UNSIGNED" "$ERR" || fail "no warning names the unsigned file$(vzpkg_log)"
ct_check_rpm 101
grep -qx 'vzt-unsigned noarch 1.0-1' "$TEST_TMP/installed.101" || fail "vzt-unsigned is not installed with --unsigned"
say "ok"
