#!/bin/bash
# Appcaches (an OS template's cache with application templates installed):
# create appcache OST APP makes $TEMPLATE/cache/<OST>_app_<md5> (vztt's name)
# with vztt's list file and a manifest, from the OS cache, the app's package
# installed between its hooks (APP_CACHE=1), normalised; a second build is
# byte-identical; list appcache shows it in vztt's layout; create ct --apps
# unpacks it (no install transaction) with TEMPLATES and the app's stamp;
# after the repository bumps the app's package, status says the appcache is
# stale (exit 22) and update appcache refreshes it; remove appcache leaves the
# OS cache; create ct --apps without an appcache installs the app; an unknown
# app is exit 28 in one line with nothing written.
. "$(dirname "$0")/lib.sh"

unset SOURCE_DATE_EPOCH
setup_lc_env
setup_ct_env 1
EXIT_NO_APP=28
CACHEDIR=$TEMPLATE/cache

# --- the OS cache, and an app package the base does not have ---------------------
run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "create cache $OST exited $RC$(vzpkg_log)"
python3 "$HELPERS" manifest-packages "$CACHEDIR/$OST.json" | awk '{ print $2 }' >"$TEST_TMP/base.names" ||
	fail "cannot read $CACHEDIR/$OST.json"
APP_PKG=
for p in original-awk gawk libfile-find-rule-perl; do
	if [ -n "$(repo_field "$REPO" "$p" Filename)" ] && ! grep -qx "$p" "$TEST_TMP/base.names"; then
		APP_PKG=$p
		break
	fi
done
[ -n "$APP_PKG" ] || fail "none of original-awk gawk libfile-find-rule-perl is in the repository and not in the base"
say "app template tools: $APP_PKG"
OS_SUM=$(sha256sum <"$CACHEDIR/$OST.tar.zst")

make_app_template tools "$APP_PKG"
# host hook: $1 is the build root; the environment carries APP_CACHE=1
add_app_hook pre-install-hn "echo \"root=\$1 app_cache=\${APP_CACHE:-}\" >>'$TEST_TMP/pre-install-hn.log'"
# container hook: after the package, with APP_CACHE=1; it also leaves what a
# cache must not carry (a host key, a machine id), which normalising removes
add_app_hook post-install "dpkg-query -W -f='\${Version}\n' $APP_PKG >/etc/tools-post
echo \"app_cache=\${APP_CACHE:-}\" >>/etc/tools-post
mkdir -p /etc/ssh && echo key >/etc/ssh/ssh_host_vzt_key && echo 0123456789abcdef >/etc/machine-id"

# vztt's name: the MD5 of the list file it writes, "     APP\n" per app
NAME=${OST}_app_$(printf '     tools\n' | md5sum | cut -d' ' -f1)
APPCACHE=$CACHEDIR/$NAME.tar.zst

# --- create appcache -------------------------------------------------------------------
run_vzpkg create appcache "$OST" tools
[ "$RC" = 0 ] || fail "create appcache $OST tools exited $RC$(vzpkg_log)"
assert_no_leftovers
[ -s "$APPCACHE" ] || fail "no appcache $APPCACHE (vztt's name); cache dir: $(ls "$CACHEDIR")"
[ "$(cat "$CACHEDIR/$NAME.list")" = "     tools" ] || fail "$NAME.list is '$(cat "$CACHEDIR/$NAME.list" 2>&1)'"
python3 - "$CACHEDIR/$NAME.json" "$OST" "$NAME" "$APP_PKG" <<-'PY' || fail "manifest $NAME.json is not as documented"
	import json, sys
	m = json.load(open(sys.argv[1]))
	assert m["template"] == sys.argv[2] and m["appcache"] == sys.argv[3] and m["apps"] == ["tools"], m
	assert any(p["name"] == sys.argv[4] for p in m["packages"]), "no app package"
	assert len(m["cache_sha256"]) == 64
PY
[ "$(sha256sum <"$CACHEDIR/$OST.tar.zst")" = "$OS_SUM" ] || fail "create appcache changed the OS cache"

ROOT=$TEST_TMP/appcache-root
unpack_cache "$APPCACHE" "$ROOT"
check_root_sane "$ROOT"
python3 "$HELPERS" installed "$ROOT/var/lib/dpkg/status" | LC_ALL=C sort >"$TEST_TMP/ac.installed"
grep -q "^$APP_PKG " "$TEST_TMP/ac.installed" || fail "$APP_PKG is not in the appcache's dpkg status"
sed 's/^ //' "$ROOT/templates/vzpackages" | LC_ALL=C sort >"$TEST_TMP/ac.vzpackages"
cmp -s "$TEST_TMP/ac.installed" "$TEST_TMP/ac.vzpackages" ||
	fail "the appcache's templates/vzpackages differs from its dpkg status: $(diff_lines "$TEST_TMP/ac.installed" "$TEST_TMP/ac.vzpackages")"
v1=$(repo_field "$REPO" "$APP_PKG" Version)
[ "$(cat "$ROOT/etc/tools-post")" = "$v1
app_cache=1" ] || fail "post-install did not run after $APP_PKG with APP_CACHE=1: /etc/tools-post is '$(cat "$ROOT/etc/tools-post" 2>&1)'"
grep -q "root=$TMP_DIR/.* app_cache=1" "$TEST_TMP/pre-install-hn.log" ||
	fail "pre-install-hn did not run on the host with the build root and APP_CACHE=1: $(cat "$TEST_TMP/pre-install-hn.log" 2>&1)"
ls "$ROOT/etc/ssh/ssh_host_"* >/dev/null 2>&1 && fail "the appcache carries host keys: $(ls "$ROOT/etc/ssh")"
[ ! -s "$ROOT/etc/machine-id" ] || fail "the appcache's /etc/machine-id is not empty"
rm -rf "$ROOT"

# --- reproducible: a second build, byte for byte -------------------------------------------
cp "$APPCACHE" "$TEST_TMP/build-1.tar.zst"
run_vzpkg create appcache -f "$OST" tools
[ "$RC" = 0 ] || fail "create appcache -f $OST tools exited $RC$(vzpkg_log)"
if ! cmp -s "$APPCACHE" "$TEST_TMP/build-1.tar.zst"; then
	zstd -qdc "$TEST_TMP/build-1.tar.zst" >"$TEST_TMP/b1.tar" && zstd -qdc "$APPCACHE" >"$TEST_TMP/b2.tar"
	fail "two builds of the appcache differ: $(python3 "$HELPERS" tar-diff "$TEST_TMP/b1.tar" "$TEST_TMP/b2.tar" | head -n 20)"
fi
# without -f an existing appcache is kept
run_vzpkg create appcache "$OST" tools
[ "$RC" = 0 ] && grep -q "exists" "$OUT" || fail "create appcache over an existing one: exit $RC$(vzpkg_log)"
cmp -s "$APPCACHE" "$TEST_TMP/build-1.tar.zst" || fail "create appcache without -f rewrote the appcache"

# --- list appcache: vztt's layout, and --json ---------------------------------------------
run_vzpkg list appcache
[ "$RC" = 0 ] || fail "list appcache exited $RC$(vzpkg_log)"
[[ $(sed -n 1p "$OUT") =~ ^$OST\ +[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}$ ]] &&
	[ "$(sed -n 2p "$OUT")" = "     tools" ] && [ -z "$(sed -n 3p "$OUT")" ] ||
	fail "list appcache is not in vztt's layout:
$(cat "$OUT")"
run_vzpkg list appcache --json
python3 - "$OUT" "$NAME" "$OST" <<-'PY' || fail "list appcache --json: $(cat "$OUT")"
	import json, sys
	a = json.load(open(sys.argv[1]))
	assert [(e["appcache"], e["template"], e["apps"]) for e in a] == [(sys.argv[2], sys.argv[3], ["tools"])], a
PY

run_vzpkg status "$OST"
[ "$RC" = 0 ] && grep -qx "$NAME: current" "$OUT" || fail "status $OST on a fresh appcache: exit $RC$(vzpkg_log)"

# --- create ct --apps: one unpack of the appcache ---------------------------------------------
run_vzpkg create ct 101 --ostemplate "$OST" --apps tools
[ "$RC" = 0 ] || fail "create ct 101 --ostemplate $OST --apps tools exited $RC$(vzpkg_log)"
grep -q "from the appcache $APPCACHE" "$ERR" || fail "create ct --apps does not say it used the appcache$(vzpkg_log)"
ct_has_app 101 tools || fail "container 101: TEMPLATES is '$(ct_conf_get 101 TEMPLATES)', lacks .tools"
[ -s "$(ct_private 101)/templates/tools/timestamp" ] || fail "container 101: no templates/tools/timestamp"
[ -n "$(deb_installed_version 101 "$APP_PKG")" ] || fail "container 101: $APP_PKG is not installed"
ct_check_deb 101
# no install transaction ran: no container transaction log, no dpkg run in the build log
[ ! -e "$LOG_DIR/ct-101.log" ] || fail "create ct --apps from the appcache ran a transaction: $(tail -n 5 "$LOG_DIR/ct-101.log")"

# --- the app's package bumped: status says stale, update appcache refreshes it ---------------
repo_bump_package "$REPO" "$APP_PKG" +vzt1
republish_repo "$REPO"
v2=$(repo_field "$REPO" "$APP_PKG" Version)
run_vzpkg status "$OST"
[ "$RC" = "$EXIT_STALE" ] || fail "status $OST after bumping $APP_PKG exited $RC, expected $EXIT_STALE$(vzpkg_log)"
grep -qx "$OST: current" "$OUT" && grep -qx "$NAME: stale" "$OUT" && grep -qF "$APP_PKG $v1 -> $v2" "$OUT" ||
	fail "status $OST does not show the OS cache current and the appcache stale with $APP_PKG:
$(cat "$OUT")"
run_vzpkg status --json "$OST"
python3 - "$OUT" "$NAME" "$APP_PKG" "$v2" <<-'PY' || fail "status --json: $(cat "$OUT")"
	import json, sys
	a = {e["template"]: e for e in json.load(open(sys.argv[1]))}
	e = a[sys.argv[2]]
	assert e["current"] is False and e["apps"] == ["tools"], e
	assert [(u["name"], u["to"]) for u in e["updates"]] == [(sys.argv[3], sys.argv[4])], e
PY
run_vzpkg update appcache "$OST" tools
[ "$RC" = 0 ] || fail "update appcache $OST tools exited $RC$(vzpkg_log)"
python3 "$HELPERS" manifest-packages "$CACHEDIR/$NAME.json" | grep -q " $APP_PKG [^ ]* $v2\$" ||
	fail "the updated appcache's manifest does not list $APP_PKG $v2"
unpack_cache "$APPCACHE" "$ROOT"
[ "$(head -n 1 "$ROOT/etc/tools-post")" = "$v2" ] || fail "the updated appcache's post-install saw '$(head -n 1 "$ROOT/etc/tools-post")', expected $v2"
rm -rf "$ROOT"
run_vzpkg status "$OST"
[ "$RC" = 0 ] && grep -qx "$NAME: current" "$OUT" || fail "status $OST after update appcache: exit $RC$(vzpkg_log)"
run_vzpkg update appcache "$OST" tools
[ "$RC" = 0 ] && grep -q "current" "$OUT" || fail "update appcache of a current appcache: exit $RC$(vzpkg_log)"

# --- remove appcache: the OS cache stays ----------------------------------------------------------
run_vzpkg remove appcache "$OST" tools
[ "$RC" = 0 ] || fail "remove appcache $OST tools exited $RC$(vzpkg_log)"
[ ! -e "$APPCACHE" ] && [ ! -e "$CACHEDIR/$NAME.list" ] && [ ! -e "$CACHEDIR/$NAME.json" ] ||
	fail "remove appcache left: $(ls "$CACHEDIR")"
[ "$(sha256sum <"$CACHEDIR/$OST.tar.zst")" = "$OS_SUM" ] && [ -s "$CACHEDIR/$OST.json" ] ||
	fail "remove appcache touched the OS cache"
run_vzpkg remove appcache "$OST" tools
check_error "$EXIT_NOT_CACHED" "$NAME"

# --- create ct --apps without an appcache: the OS cache, then an install --------------------------
run_vzpkg create ct 102 --ostemplate "$OST" --apps tools
[ "$RC" = 0 ] || fail "create ct 102 --ostemplate $OST --apps tools (no appcache) exited $RC$(vzpkg_log)"
grep -q "no appcache" "$ERR" || fail "create ct --apps without an appcache does not say so$(vzpkg_log)"
ct_has_app 102 tools || fail "container 102: TEMPLATES is '$(ct_conf_get 102 TEMPLATES)', lacks .tools"
[ "$(deb_installed_version 102 "$APP_PKG")" = "$v2" ] || fail "container 102: $APP_PKG $v2 is not installed"
[ -e "$LOG_DIR/ct-102.log" ] || fail "container 102: no install transaction ran (no ct-102.log)"
ct_check_deb 102
ct_no_leftovers

# --- bad input: one line, vztt's code, nothing written --------------------------------------------
(cd "$CACHEDIR" && find . | sort) >"$TEST_TMP/cachedir.before"
run_vzpkg create appcache "$OST" nosuchapp
check_error "$EXIT_NO_APP" nosuchapp
run_vzpkg create appcache "$OST"
check_error "$EXIT_USAGE" "$OST"
(cd "$CACHEDIR" && find . | sort) >"$TEST_TMP/cachedir.after"
cmp -s "$TEST_TMP/cachedir.before" "$TEST_TMP/cachedir.after" ||
	fail "refused appcache commands wrote: $(diff_lines "$TEST_TMP/cachedir.before" "$TEST_TMP/cachedir.after")"
assert_no_leftovers

echo "PASS: $TEST_NAME"
