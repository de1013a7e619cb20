#!/bin/bash
# install template / remove template with vztt-style template packages built
# here with rpmbuild (payload /vz/template/<os>/<ver>/<arch>/config/...):
# one signed with a key of TEMPLATE_KEYS puts the OS template and its
# application template under TEMPLATE (list and info see them); again
# without -f it is refused, with -f replaced; an unsigned package and one
# signed by another key are refused (exit 81) and with --unsigned the
# unsigned one is installed; remove template refuses the OS template while
# its app from a package remains, then removes exactly the package's files
# (an admin's file in the template directory is kept); packages with a file
# outside /vz/template, a symbolic link out of the template or an absolute
# link are refused and write nothing.
. "$(dirname "$0")/lib.sh"

require_privileges
require_vzpkg
require_rpm_tools
make_env
RPM_KEYS=$TEST_TMP/rpm-keys
PKGS=$TEST_TMP/pkgs
ADMIN_KEYS=$TEST_TMP/template-keys
config_set TEMPLATE_KEYS "$ADMIN_KEYS"
OST=vzttest-1-x86_64
TROOT=vz/template/vzttest/1/x86_64/config

# spec NAME EXTRA_INSTALL EXTRA_FILES: a template package NAME-1.0 holding
# the OS template vzttest-1-x86_64 and its app "tools", plus what the extra
# shell lines of %install put into the build root and EXTRA_FILES list.
spec() {
	cat >"$TEST_TMP/$1.spec" <<-EOF
		Name: $1
		Version: 1.0
		Release: 1
		Summary: vzpkg test template package
		License: GPL-2.0-or-later
		BuildArch: noarch
		%description
		A template package in vztt's layout, made by $TEST_NAME.
		%install
		d=%{buildroot}/$TROOT
		mkdir -p \$d/os/default \$d/app/tools/default
		printf 'busybox\n' >\$d/os/default/packages
		echo dpkgx64 >\$d/os/default/package_manager
		echo debian >\$d/os/default/distribution
		echo 'vztt test template' >\$d/os/default/description
		echo 'http://127.0.0.1:9/debian bookworm main' >\$d/os/default/repositories
		ln -s description \$d/os/default/summary
		printf '#!/bin/sh\nexit 0\n' >\$d/os/default/post-install
		chmod 4755 \$d/os/default/post-install
		printf 'less\n' >\$d/app/tools/default/packages
		$2
		%files
		/vz/template/vzttest
		$3
	EOF
	echo "$TEST_TMP/$1.spec"
}

# build NAME KEY EXTRA_INSTALL EXTRA_FILES: the package's .rpm path.
build() {
	local s
	s=$(spec "$1" "${3:-}" "${4:-}")
	"$RPM_TOOLS/build-template-rpm.sh" "$PKGS/$1" "$RPM_KEYS" "$2" "$s" >>"$TEST_TMP/rpm-build.log" 2>&1 ||
		fail "building template package $1 failed: $(tail -n 20 "$TEST_TMP/rpm-build.log")"
	ls "$PKGS/$1"/*.rpm
}

# area_state OUT: the template area's entries and contents; the area's own
# directory is left out (its mtime changes with the staging directory that
# vzpkg makes beside the templates and removes again).
area_state() {
	tree_manifest "$TEMPLATE" "$1.all" content
	grep -v "^\.	" "$1.all" >"$1" || true
}

# refused WHAT RPM [ARGS]: install template exits 81 naming the file and the
# template area is exactly as before.
refused() {
	local what=$1 rpm=$2
	shift 2
	area_state "$TEST_TMP/area.before"
	run_vzpkg install template "$@" "$rpm"
	[ "$RC" = "$EXIT_VERIFY" ] || fail "$what: install template exited $RC, expected $EXIT_VERIFY$(vzpkg_log)"
	grep -qF "$rpm" "$ERR" || fail "$what: the error does not name $rpm$(vzpkg_log)"
	area_state "$TEST_TMP/area.after"
	cmp -s "$TEST_TMP/area.before" "$TEST_TMP/area.after" ||
		fail "$what wrote into the template area: $(diff_lines "$TEST_TMP/area.before" "$TEST_TMP/area.after")"
}

GOOD=$(build vztt-test-ez good)
mkdir -p "$ADMIN_KEYS"
cp "$RPM_KEYS/RPM-GPG-KEY-vzt" "$ADMIN_KEYS/"
UNSIGNED=$(build vztt-unsigned-ez -)
OTHER=$(build vztt-other-ez other)
area_state "$TEST_TMP/area.empty"

# --- signatures ---------------------------------------------------------------------
refused "an unsigned package" "$UNSIGNED"
grep -q -- --unsigned "$ERR" || fail "the refusal of an unsigned package does not say --unsigned$(vzpkg_log)"
refused "a package signed by a key not in TEMPLATE_KEYS" "$OTHER"

# --- install --------------------------------------------------------------------------
run_vzpkg install template "$GOOD"
[ "$RC" = 0 ] || fail "install template $GOOD exited $RC$(vzpkg_log)"
D=$TEMPLATE/vzttest/1/x86_64/config
[ "$(cat "$D/os/default/package_manager")" = dpkgx64 ] || fail "the OS template's files are not under $D/os/default"
[ "$(cat "$D/app/tools/default/packages")" = less ] || fail "the app template's files are not under $D/app/tools/default"
[ "$(readlink "$D/os/default/summary")" = description ] || fail "the link summary -> description was not kept"
mode=$(stat -c %a "$D/os/default/post-install")
[ "$mode" = 755 ] || fail "post-install has mode $mode: the set-uid bit of the package was kept"
grep -q "$OST" "$OUT" "$ERR" || fail "install template does not name $OST$(vzpkg_log)"
[ -z "$(find "$TEMPLATE" -maxdepth 1 -name '.vzpkg-stage.*')" ] || fail "a staging directory was left in $TEMPLATE"
run_vzpkg list
[ "$RC" = 0 ] && grep -q "^$OST" "$OUT" || fail "list does not show $OST after install template$(vzpkg_log)"
grep -q "tools" "$OUT" || fail "list does not show the app template tools$(vzpkg_log)"
run_vzpkg info "$OST"
[ "$RC" = 0 ] && grep -q "vztt test template" "$OUT" || fail "info $OST does not show its description$(vzpkg_log)"

# again: refused without -f (nothing changes), replaced with -f
area_state "$TEST_TMP/area.installed"
run_vzpkg install template "$GOOD"
[ "$RC" != 0 ] || fail "install template of an installed template without -f succeeded"
grep -q -- "-f" "$ERR" || fail "the refusal of an installed template does not say -f$(vzpkg_log)"
area_state "$TEST_TMP/area.now"
cmp -s "$TEST_TMP/area.installed" "$TEST_TMP/area.now" || fail "a refused reinstall changed the template area"
echo junk >"$D/os/default/packages"
run_vzpkg install template -f "$GOOD"
[ "$RC" = 0 ] || fail "install template -f exited $RC$(vzpkg_log)"
[ "$(cat "$D/os/default/packages")" = busybox ] || fail "install template -f did not replace the template"

# --- remove ---------------------------------------------------------------------------
run_vzpkg remove template "$OST"
[ "$RC" != 0 ] || fail "remove template $OST succeeded while its app tools from the package is installed"
[ -d "$D/os/default" ] || fail "a refused remove template removed the OS template"
run_vzpkg remove template -F "$OST" tools
[ "$RC" = 0 ] || fail "remove template -F $OST tools exited $RC$(vzpkg_log)"
[ ! -e "$D/app" ] || fail "remove template -F $OST tools left $(find "$D/app")"
[ -d "$D/os/default" ] || fail "removing the app removed the OS template"
echo mine >"$D/os/default/admin-note"
run_vzpkg remove template "$OST"
[ "$RC" = 0 ] || fail "remove template $OST exited $RC$(vzpkg_log)"
left=$(cd "$TEMPLATE" && find vzttest ! -type d)
[ "$left" = vzttest/1/x86_64/config/os/default/admin-note ] ||
	fail "remove template did not remove exactly the package's files; left: $left"
rm -r "$TEMPLATE/vzttest"
area_state "$TEST_TMP/area.removed"
cmp -s "$TEST_TMP/area.empty" "$TEST_TMP/area.removed" ||
	fail "the template area differs from before the install: $(diff_lines "$TEST_TMP/area.empty" "$TEST_TMP/area.removed")"
run_vzpkg remove template "$OST"
[ "$RC" = "$EXIT_TEMPLATE" ] || fail "remove template of a template not installed exited $RC, expected $EXIT_TEMPLATE"

# --unsigned: the unsigned package goes in
run_vzpkg install template --unsigned "$UNSIGNED"
[ "$RC" = 0 ] && [ -s "$D/os/default/packages" ] || fail "install template --unsigned exited $RC$(vzpkg_log)"
run_vzpkg remove template -f "$OST"
[ "$RC" = 0 ] && [ ! -e "$D/os" ] || fail "remove template -f $OST exited $RC$(vzpkg_log)"
run_vzpkg remove template -F "$OST" tools
[ "$RC" = 0 ] && [ ! -e "$TEMPLATE/vzttest" ] || fail "remove template -F $OST tools exited $RC$(vzpkg_log)"

# --- hostile packages (validly signed): refused, nothing written -----------------------
area_state "$TEST_TMP/area.empty"
OUTSIDE=$(build vztt-outside-ez good 'mkdir -p %{buildroot}/etc && echo evil >%{buildroot}/etc/vzt-evil' /etc/vzt-evil)
refused "a package with a file outside /vz/template" "$OUTSIDE"
[ ! -e /etc/vzt-evil ] || fail "/etc/vzt-evil exists on the host"
LINKOUT=$(build vztt-linkout-ez good 'ln -s ../../../../../../../../etc/shadow $d/os/default/environment')
refused "a package with a relative link out of its template" "$LINKOUT"
ABSLINK=$(build vztt-abslink-ez good 'ln -s /etc/shadow $d/os/default/environment')
refused "a package with an absolute link" "$ABSLINK"
DOTDOT=$(build vztt-dotdot-ez good 'mkdir -p $d/os/default/sub && ln -s ../../../app/tools $d/os/default/sub/apps')
refused "a package with a link from one template into another" "$DOTDOT"
say "ok"
