#!/bin/bash
# A tenant's links and files in its private area never steer vzpkg's
# host-side work out of it. One Debian container; each attack is planted as
# the tenant would (templates -> a host dir, templates/<app> -> it,
# templates/<app>/timestamp and usr/sbin/policy-rc.d -> a host file,
# var/lib/dpkg/status -> a shadow-like host file, a status with a 100 KB
# line, a timestamp of 99999999999999999), then install, remove, update,
# list and status run: every time the decoy tree beside the private area is
# byte-identical and each run either succeeds or fails with an error naming
# the container, never from a signal. destroy ct with VE_PRIVATE "/",
# "/etc", a ".." path or a private dir that is a link to the decoy is
# refused with exit 80 (configuration) and deletes nothing. At the end a clean container
# installs and removes an app as before.
# ctest: heavy
. "$(dirname "$0")/../integration/lib.sh"

setup_lc_env
setup_ct_env 1
CT=101
create_cts "$OST" "$CT"
ROOT=$(ct_private "$CT")

DECOY=$TEST_TMP/decoy
mkdir -p "$DECOY/tools"
echo "host marker" >"$DECOY/marker"
echo " host-only-pkg all 1.0" >"$DECOY/vzpackages"
echo "1600000000" >"$DECOY/tools/timestamp"
echo 'root:$6$decoy$notarealhash:19000:0:99999:7:::' >"$DECOY/shadow"
chmod 640 "$DECOY/shadow"
tree_manifest "$DECOY" "$TEST_TMP/decoy.before" content

APP_PKG=$(uninstalled_pkg "$CT" original-awk gawk libfile-find-rule-perl)
make_app_template tools "$APP_PKG"

# check_run WHAT [CTID]: after run_vzpkg: no death by signal, the decoy as
# it was, and a failure explained in a line that names the container.
check_run() {
	local what=$1 id=${2:-$CT}
	[ "$RC" -lt 124 ] || fail "$what: vzpkg exited $RC (a signal or a timeout)$(vzpkg_log)"
	tree_manifest "$DECOY" "$TEST_TMP/decoy.now" content
	cmp -s "$TEST_TMP/decoy.before" "$TEST_TMP/decoy.now" ||
		fail "$what: the decoy outside the private area changed: $(diff_lines "$TEST_TMP/decoy.before" "$TEST_TMP/decoy.now")"
	if [ "$RC" != 0 ]; then
		grep -q "container $id" "$ERR" "$OUT" || fail "$what: exited $RC without an error naming container $id$(vzpkg_log)"
	fi
	! grep -qi 'AddressSanitizer\|runtime error' "$ERR" || fail "$what: a sanitizer report$(vzpkg_log)"
}

# run_ops ATTACK: the legitimate operations, each checked.
run_ops() {
	local a=$1
	run_vzpkg install "$CT" tools
	check_run "$a: install $CT tools"
	run_vzpkg remove "$CT" tools
	check_run "$a: remove $CT tools"
	run_vzpkg update "$CT"
	check_run "$a: update $CT"
	run_vzpkg list "$CT"
	check_run "$a: list $CT"
	[ "$RC" = 0 ] || fail "$a: list $CT exited $RC$(vzpkg_log)"
	run_vzpkg status "$CT"
	check_run "$a: status $CT"
}

# --- templates -> $DECOY ------------------------------------------------------
mv "$ROOT/templates" "$ROOT/templates.real"
ln -s "$DECOY" "$ROOT/templates"
run_ops "templates -> decoy"
rm "$ROOT/templates"
mv "$ROOT/templates.real" "$ROOT/templates"

# --- templates/tools -> $DECOY ------------------------------------------------
ln -s "$DECOY" "$ROOT/templates/tools"
run_ops "templates/tools -> decoy"
rm -rf "$ROOT/templates/tools"

# --- templates/tools/timestamp -> $DECOY/marker --------------------------------
mkdir -p "$ROOT/templates/tools"
ln -s "$DECOY/marker" "$ROOT/templates/tools/timestamp"
run_ops "templates/tools/timestamp -> decoy file"
rm -rf "$ROOT/templates/tools"

# --- usr/sbin/policy-rc.d -> $DECOY/marker ---------------------------------------
ln -s "$DECOY/marker" "$ROOT/usr/sbin/policy-rc.d"
run_ops "usr/sbin/policy-rc.d -> decoy file"
[ -L "$ROOT/usr/sbin/policy-rc.d" ] || fail "the tenant's own policy-rc.d link was not put back"
rm -f "$ROOT/usr/sbin/policy-rc.d"

# --- var/lib/dpkg/status -> a shadow-like host file ------------------------------
STATUS=$ROOT/var/lib/dpkg/status
cp -a "$STATUS" "$TEST_TMP/status.saved"
rm "$STATUS"
ln -s "$DECOY/shadow" "$STATUS"
run_ops "var/lib/dpkg/status -> decoy shadow"
run_vzpkg update "$CT"
[ "$RC" != 0 ] || fail "update with status -> a host file succeeded"
grep -q "container $CT" "$OUT" "$ERR" && grep -q "status" "$OUT" "$ERR" ||
	fail "update with status -> a host file: the error does not name the container and its status file$(vzpkg_log)"
rm "$STATUS"
cp -a "$TEST_TMP/status.saved" "$STATUS"

# --- a dpkg status with a 100 KB line ---------------------------------------------
{
	printf '\nPackage: zz-tenant\nStatus: install ok installed\nVersion: 1\nArchitecture: all\nDescription: '
	head -c 102400 /dev/zero | tr '\0' x
	printf '\n'
} >>"$STATUS"
run_ops "status with a 100 KB line"
run_vzpkg status "$CT"
[ "$RC" != 0 ] && grep -q "line longer" "$OUT" "$ERR" ||
	fail "status with a 100 KB line in the dpkg status: not refused before libsolv (exit $RC)$(vzpkg_log)"
cp -a "$TEST_TMP/status.saved" "$STATUS"

# --- a timestamp of 99999999999999999 ---------------------------------------------
echo 99999999999999999 >"$ROOT/templates/$OST/timestamp"
run_ops "timestamp 99999999999999999"
run_vzpkg list "$CT"
# vztt's layout: no time after the name when it is unknown
grep -qx "$OST" "$OUT" || fail "list $CT: the bad timestamp is not shown as unknown: $(cat "$OUT")"
run_vzpkg list --json "$CT"
check_run "list --json with a bad timestamp"
[ "$RC" = 0 ] || fail "list --json $CT exited $RC$(vzpkg_log)"
date +%s >"$ROOT/templates/$OST/timestamp"

# --- destroy ct with a VE_PRIVATE that is no private area -------------------------
mkdir -p "$CT_PRIVATE"
ln -s "$DECOY" "$CT_PRIVATE/204"
n=201
for priv in / /etc "$CT_PRIVATE/../decoy" "$CT_PRIVATE/204"; do
	printf 'OSTEMPLATE=".%s"\nVE_PRIVATE="%s"\n' "$OST" "$priv" >"$(ct_conf $n)"
	etc_before=$(sha256sum /etc/passwd /etc/group; ls /etc | wc -l)
	run_vzpkg destroy ct "$n"
	[ "$RC" = "$EXIT_CONFIG" ] || fail "destroy ct $n with VE_PRIVATE=$priv exited $RC, expected $EXIT_CONFIG$(vzpkg_log)"
	[ "$(wc -l <"$ERR")" = 1 ] && grep -q "container $n" "$ERR" && grep -qF "$priv" "$ERR" ||
		fail "destroy ct $n with VE_PRIVATE=$priv: not one line naming the container and the value:$(vzpkg_log)"
	check_run "destroy ct $n with VE_PRIVATE=$priv" "$n"
	[ "$etc_before" = "$(sha256sum /etc/passwd /etc/group; ls /etc | wc -l)" ] ||
		fail "destroy ct $n with VE_PRIVATE=$priv changed /etc"
	[ -f "$(ct_conf $n)" ] || fail "a refused destroy ct $n removed its config"
	rm "$(ct_conf $n)"
	n=$((n + 1))
done
[ -L "$CT_PRIVATE/204" ] || fail "a refused destroy removed the link $CT_PRIVATE/204"
rm "$CT_PRIVATE/204"

# --- legitimate work in the clean container still succeeds --------------------------
run_vzpkg install "$CT" tools
[ "$RC" = 0 ] || fail "install $CT tools in the clean container exited $RC$(vzpkg_log)"
ct_has_app "$CT" tools || fail "install $CT tools: TEMPLATES is '$(ct_conf_get "$CT" TEMPLATES)'"
[ -f "$ROOT/templates/tools/timestamp" ] && [ ! -L "$ROOT/templates/tools/timestamp" ] ||
	fail "install $CT tools wrote no templates/tools/timestamp"
ct_check_deb "$CT"
grep -q "^$APP_PKG " "$TEST_TMP/installed.$CT" || fail "install $CT tools: $APP_PKG is not installed"
[ ! -e "$ROOT/usr/sbin/policy-rc.d" ] || fail "install $CT tools left usr/sbin/policy-rc.d behind"
run_vzpkg remove "$CT" tools
[ "$RC" = 0 ] || fail "remove $CT tools in the clean container exited $RC$(vzpkg_log)"
[ ! -e "$ROOT/templates/tools" ] || fail "remove $CT tools left templates/tools"
ct_check_deb "$CT"
! grep -q "^$APP_PKG " "$TEST_TMP/installed.$CT" || fail "remove $CT tools: $APP_PKG is still installed"
check_run "clean install and remove"
ct_no_leftovers
say "ok: every planted link stayed inside the container, destroy refused every bad VE_PRIVATE"
