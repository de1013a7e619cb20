#!/bin/bash
# vztt compatibility: an OpenVZ admin's files, command lines and exit codes.
# A vz.conf, vztt.conf and url.map pair in the test's own /etc and template
# area are read (VE_PRIVATE from vz.conf; a url.map key "$..._SERVER/pub/x"
# expands in the template's repository, through which the one cache of this
# test is built; HTTP_PROXY of vztt.conf is used); a container as vztt
# leaves it (timestamps "YYYY-MM-DD HH:MM:SS", vzpackages, config) is listed
# with its times; a ploop private area is refused with exit 43; the exit
# codes of vztt's table; then the examples of vztt's man page, re-expressed
# for this test's templates (install two apps, update -C, install -p,
# status -q, info, info -F, fetch, create cache of an existing cache), and
# remove without and with -w; then that container rewritten as vztt leaves
# one (config, timestamps, vzpackages) and updated to a newer package.
. "$(dirname "$0")/lib.sh"

setup_lc_env
STAMP_RE='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}'

# one error line naming each OBJECT, exit CODE
expect_error() {
	local what=$1
	shift
	[ "$RC" = "$1" ] || fail "$what exited $RC, expected $1$(vzpkg_log)"
	check_error "$@"
}

# --- the host's files, in the test's own /etc ------------------------------------
ETC=$TEST_TMP/etc
CT_CONF=$TEST_TMP/ct-conf
CT_PRIVATE=$TEST_TMP/vz/private
mkdir -p "$ETC/vz" "$ETC/vztt" "$CT_CONF" "$CT_PRIVATE" "$TEMPLATE/conf/vztt"
config_set CONF_DIR "$CT_CONF"
# vzctl's global config: VE_PRIVATE comes from here only (vzpkg.conf has none)
cat >"$ETC/vz/vz.conf" <<-EOF
	## Global parameters (as vzctl writes them)
	VIRTUOZZO=yes
	LOCKDIR=$TEST_TMP/vz/lock
	VE_ROOT=$TEST_TMP/vz/root/\$VEID
	VE_PRIVATE=$CT_PRIVATE/\$VEID
	VEFSTYPE=ext4
	IPTABLES="ipt_REJECT ipt_tos"
EOF
cat >"$ETC/vztt/vztt.conf" <<-EOF
	# EZ templates management config file
	HTTP_PROXY=http://127.0.0.1:$(free_port)/
	HTTP_PROXY_USER=ann
	HTTP_PROXY_PASSWORD="p@ss"
	METADATA_EXPIRE=86400
	EXCLUDE="kernel*"
	SCAN_PRIVATE="yes"
	ARCHIVE="lz4"
EOF
export VZPKG_VZ_CONF=$ETC/vz/vz.conf VZPKG_VZTT_CONF=$ETC/vztt/vztt.conf
# url.map as vztt ships it: a key with a path, replaced literally
# shellcheck disable=SC2016 # the $TOKENs are url.map keys, not shell
printf '# moved from vztt.conf\n$VZT_SERVER/pub/debian\t%s\n$OTHER_SERVER\thttp://unused.example\n' "$MIRROR" \
	>"$TEMPLATE/conf/vztt/url.map"
echo "\$VZT_SERVER/pub/debian $SUITE main" >"$TDIR/repositories"

# --- help and bad command lines ----------------------------------------------------
run_vzpkg help
[ "$RC" = 0 ] && grep -q 'install' "$OUT" || fail "help exited $RC or lists no commands$(vzpkg_log)"
run_vzpkg help update
[ "$RC" = 0 ] && grep -q -- '--check-only' "$OUT" || fail "help update exited $RC or does not show -n/--check-only$(vzpkg_log)"
run_vzpkg frobnicate
expect_error "an unknown command" "$EXIT_USAGE" frobnicate
run_vzpkg list -w
[ "$RC" = "$EXIT_USAGE" ] || fail "list -w exited $RC, expected $EXIT_USAGE (bad parameter)$(vzpkg_log)"
run_vzpkg install -d x 1000 tools
expect_error "install -d x" "$EXIT_USAGE" "-d"

# --- url.map, vztt.conf ------------------------------------------------------------
run_vzpkg info "$OST" repositories
[ "$RC" = 0 ] && grep -qF "$MIRROR" "$OUT" && ! grep -qF 'VZT_SERVER' "$OUT" ||
	fail "info $OST repositories does not show url.map's expansion of \$VZT_SERVER/pub/debian to $MIRROR$(vzpkg_log)"
run_vzpkg info -q "$OST" package_manager_type
[ "$RC" = 0 ] && [ "$(cat "$OUT")" = dpkg ] || fail "info -q $OST package_manager_type printed '$(cat "$OUT")'$(vzpkg_log)"
# HTTP_PROXY of vztt.conf (nothing listens there): the refresh fails to download
run_vzpkg update metadata "$OST"
expect_error "update metadata through vztt.conf's dead HTTP_PROXY" "$EXIT_DOWNLOAD"
sed -i '/^HTTP_PROXY/d' "$ETC/vztt/vztt.conf"

# --- exit codes without a cache -------------------------------------------------------
run_vzpkg status "$OST"
expect_error "status of a template without a cache" "$EXIT_NOT_CACHED" "$OST"
run_vzpkg remove cache "$OST"
expect_error "remove cache of a template without a cache" "$EXIT_NOT_CACHED" "$OST"
run_vzpkg info nosuch-9-x86_64
expect_error "info of a template that does not exist" "$EXIT_TEMPLATE" nosuch-9-x86_64
run_vzpkg update 999
expect_error "update of a container that does not exist" "$EXIT_NO_CT" 999

# --- a container as vztt leaves it ---------------------------------------------------
make_app_template tools libdbus-1-3
make_app_template extra openssh-client
P201=$CT_PRIVATE/201
mkdir -p "$P201/templates/$OST" "$P201/templates/tools" "$P201/etc"
printf '%s\n' "2019-03-04 05:06:07" >"$P201/templates/$OST/timestamp"
printf '%s\n' "2020-11-12 13:14:15" >"$P201/templates/tools/timestamp"
printf ' base-files amd64 12.4+deb12u5\n bash amd64 5.2.15-2+b2\n libdbus-1-3 amd64 1.14.10-1~deb12u1\n' \
	>"$P201/templates/vzpackages"
printf 'OSTEMPLATE=".%s"\nTEMPLATES=".tools "\nVE_PRIVATE="%s"\nDISTRIBUTION="debian"\n' "$OST" "$P201" \
	>"$CT_CONF/201.conf"
run_vzpkg list 201
[ "$RC" = 0 ] || fail "list 201 exited $RC$(vzpkg_log)"
grep -qxE "$OST +2019-03-04 05:06:07" "$OUT" && grep -qxE "$OST +tools +2020-11-12 13:14:15" "$OUT" ||
	fail "list 201 does not show vztt's timestamps as written: $(cat "$OUT")"
run_vzpkg --json list 201
want=$(date -d "2019-03-04 05:06:07" +%s)
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))[0]; sys.exit(d["installed"] != int(sys.argv[2]) or d["packages"] != 3)' \
	"$OUT" "$want" || fail "list --json 201: installed is not $want or packages is not 3: $(cat "$OUT")"
run_vzpkg list -p 201
[ "$RC" = 0 ] && grep -qE '^bash\.amd64 +5\.2\.15-2\+b2$' "$OUT" && [ "$(grep -c '' "$OUT")" = 3 ] ||
	fail "list -p 201 does not show vzpackages as name.arch version: $(cat "$OUT")$(vzpkg_log)"
run_vzpkg list --available 201
[ "$RC" = 0 ] && grep -qxE "$OST +extra" "$OUT" && ! grep -q tools "$OUT" ||
	fail "list --available 201 does not show just the app extra: $(cat "$OUT")$(vzpkg_log)"
# lock held by another process: vztt's 21
(
	flock 9
	run_vzpkg update 201
	echo "$RC" >"$TEST_TMP/lock.rc"
	cp "$ERR" "$TEST_TMP/lock.err"
) 9>"$TEST_TMP/lock/ct-201.lock"
[ "$(cat "$TEST_TMP/lock.rc")" = "$EXIT_LOCKED" ] && grep -q 201 "$TEST_TMP/lock.err" ||
	fail "update 201 while its lock is held exited $(cat "$TEST_TMP/lock.rc"): $(cat "$TEST_TMP/lock.err")"

# --- ploop: VZ7's default private area is refused in one line --------------------------
mkdir -p "$CT_PRIVATE/202/root.hdd"
echo '<Parallels_disk_image/>' >"$CT_PRIVATE/202/root.hdd/DiskDescriptor.xml"
printf 'OSTEMPLATE=".%s"\nVE_PRIVATE="%s"\n' "$OST" "$CT_PRIVATE/202" >"$CT_CONF/202.conf"
for cmd in "update 202" "status 202" "install 202 tools" "remove 202 tools" "update -n 202"; do
	# shellcheck disable=SC2086
	run_vzpkg $cmd
	expect_error "$cmd (ploop)" "$EXIT_FORMAT" 202 ploop
done
rm -r "$CT_CONF/202.conf" "$CT_PRIVATE/202"

# --- vztt's man page examples ------------------------------------------------------------
run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "create cache $OST (through url.map) exited $RC$(vzpkg_log)"
run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "create cache $OST over its existing cache exited $RC (vztt keeps it, exit 0)$(vzpkg_log)"
run_vzpkg create ct 1000 --ostemplate "$OST"
[ "$RC" = 0 ] || fail "create ct 1000 exited $RC$(vzpkg_log)"
[ -d "$CT_PRIVATE/1000/etc" ] && grep -qx "VE_PRIVATE=\"\\?$CT_PRIVATE/1000\"\\?" "$CT_CONF/1000.conf" ||
	fail "create ct 1000 did not put the private area where vz.conf's VE_PRIVATE says ($CT_PRIVATE/1000)"
grep -qxE "$STAMP_RE" "$CT_PRIVATE/1000/templates/$OST/timestamp" ||
	fail "templates/$OST/timestamp is not in vztt's format: $(cat "$CT_PRIVATE/1000/templates/$OST/timestamp")"

# "install mysql and php application templates into container 1000"
run_vzpkg install 1000 tools extra
[ "$RC" = 0 ] || fail "install 1000 tools extra exited $RC$(vzpkg_log)"
grep -q '^TEMPLATES=.*\.tools' "$CT_CONF/1000.conf" && grep -q '^TEMPLATES=.*\.extra' "$CT_CONF/1000.conf" ||
	fail "install 1000 tools extra: TEMPLATES is $(grep TEMPLATES "$CT_CONF/1000.conf")"
grep -qxE "$STAMP_RE" "$CT_PRIVATE/1000/templates/tools/timestamp" || fail "templates/tools/timestamp is not in vztt's format"
# "update the OS template and the apps of container 1000 from the local cache"
run_vzpkg update -C 1000
[ "$RC" = 0 ] || fail "update -C 1000 exited $RC$(vzpkg_log)"
# "install a package into container 1000", options after the command word
run_vzpkg install -p 1000 -q dbus-bin
[ "$RC" = 0 ] && [ ! -s "$ERR" ] || fail "install -p 1000 -q dbus-bin exited $RC or was not quiet$(vzpkg_log)"
grep -q '^Package: dbus-bin$' "$CT_PRIVATE/1000/var/lib/dpkg/status" || fail "install -p 1000 dbus-bin did not install it"
# "status of container 1000"
run_vzpkg status -q 1000
[ "$RC" = 0 ] || fail "status -q 1000 exited $RC (expected 0: up to date)$(vzpkg_log)"
# "packages of the OS template and of an app template"
run_vzpkg info "$OST" packages
[ "$RC" = 0 ] && grep -qxP '\tapt' "$OUT" || fail "info $OST packages does not list apt as vztt does: $(cat "$OUT")"
run_vzpkg info -F "$OST" tools packages
[ "$RC" = 0 ] && grep -qxP '\tlibdbus-1-3' "$OUT" || fail "info -F $OST tools packages: $(cat "$OUT")$(vzpkg_log)"
run_vzpkg info -F 1000 extra packages
[ "$RC" = 0 ] && grep -qxP '\topenssh-client' "$OUT" || fail "info -F 1000 extra packages: $(cat "$OUT")$(vzpkg_log)"
# "download all packages of the OS template"
run_vzpkg fetch "$OST"
[ "$RC" = 0 ] || fail "fetch $OST exited $RC$(vzpkg_log)"

# --- remove: vztt's -w ----------------------------------------------------------------
STATUS=$CT_PRIVATE/1000/var/lib/dpkg/status
run_vzpkg remove -q -p 1000 libdbus-1-3
# a container's failure is its block on stdout (ctops.c), the exit status vztt's
[ "$RC" = "$EXIT_PM" ] && grep -q 'container 1000: FAILED: .*libdbus-1-3.*dbus-bin.*-w' "$OUT" ||
	fail "remove -p 1000 libdbus-1-3 (dbus-bin depends on it) exited $RC, expected $EXIT_PM naming dbus-bin and -w$(vzpkg_log)"
grep -q '^Package: dbus-bin$' "$STATUS" || fail "a refused remove took dbus-bin away"
run_vzpkg remove -n -w -p 1000 libdbus-1-3
[ "$RC" = 0 ] && grep -q '^Package: libdbus-1-3$' "$STATUS" || fail "remove -n -w changed the container or exited $RC$(vzpkg_log)"
run_vzpkg remove 1000 -p libdbus-1-3 --with-depends
[ "$RC" = 0 ] || fail "remove 1000 -p libdbus-1-3 --with-depends exited $RC$(vzpkg_log)"
for p in libdbus-1-3 dbus-bin; do
	! grep -A1 "^Package: $p\$" "$STATUS" | grep -q 'install ok installed' ||
		fail "remove -w libdbus-1-3 left $p installed"
done

# --- a container as vztt left it, updated --------------------------------------------------
# vztt's config (dotted OSTEMPLATE and TEMPLATES, vzctl's other keys), its
# timestamps and vzpackages as vztt writes them; a newer gzip is published;
# "update 1000" installs it and keeps the config's other lines and format.
printf 'ONBOOT="yes"\nOSTEMPLATE=".%s"\nTEMPLATES=".extra .tools "\nVE_PRIVATE="%s"\nDISTRIBUTION="debian"\nPHYSPAGES="0:262144"\n' \
	"$OST" "$CT_PRIVATE/1000" >"$CT_CONF/1000.conf"
printf '%s\n' "2019-03-04 05:06:07" >"$CT_PRIVATE/1000/templates/$OST/timestamp"
awk '/^Package:/ { p = $2 } /^Architecture:/ { a = $2 } /^Version:/ { v = $2 }
	/^Status:/ { s = $4 } /^$/ { if (s == "installed") printf " %s %s %s\n", p, a, v; p = a = v = s = "" }' \
	"$STATUS" >"$CT_PRIVATE/1000/templates/vzpackages"
GZIP_OLD=$(repo_field "$REPO" gzip Version)
repo_bump_package "$REPO" gzip "+vztt1"
republish_repo "$REPO"
run_vzpkg update 1000
[ "$RC" = 0 ] || fail "update of the vztt-written container 1000 exited $RC$(vzpkg_log)"
grep -A8 '^Package: gzip$' "$STATUS" | grep -qx "Version: $GZIP_OLD+vztt1" ||
	fail "update 1000 did not install gzip $GZIP_OLD+vztt1"
grep -qx " gzip amd64 $GZIP_OLD+vztt1" "$CT_PRIVATE/1000/templates/vzpackages" ||
	fail "update 1000 did not record gzip $GZIP_OLD+vztt1 in vztt's vzpackages format: $(grep gzip "$CT_PRIVATE/1000/templates/vzpackages")"
grep -qx 'ONBOOT="yes"' "$CT_CONF/1000.conf" && grep -qx 'PHYSPAGES="0:262144"' "$CT_CONF/1000.conf" &&
	grep -q '^TEMPLATES=.*\.extra' "$CT_CONF/1000.conf" && grep -q '^TEMPLATES=.*\.tools' "$CT_CONF/1000.conf" ||
	fail "update 1000 lost vzctl's lines or the apps of the config: $(cat "$CT_CONF/1000.conf")"
run_vzpkg list 1000
[ "$RC" = 0 ] && grep -qE "^$OST +$STAMP_RE\$" "$OUT" && grep -qE "^$OST +tools +$STAMP_RE\$" "$OUT" ||
	fail "list 1000 after the update: $(cat "$OUT")$(vzpkg_log)"
run_vzpkg status -q 1000
[ "$RC" = 0 ] || fail "status -q 1000 after the update exited $RC (expected 0)$(vzpkg_log)"
run_vzpkg destroy ct 1000
[ "$RC" = 0 ] || fail "destroy ct 1000 exited $RC$(vzpkg_log)"
assert_no_leftovers
say "ok"
