#!/bin/bash
# Work, lock, log and cache directories only root controls (issue 8, "local
# users hijack builds"), config numbers that overflow, and the sweep of
# what a killed vzpkg left behind. Light: every refusal happens before a
# build starts, and the legitimate run finds its cache already there.
#
# An unprivileged user (uid 65534) owns a world-writable sticky directory's
# entries, as in /tmp or /var/tmp: a TMP_DIR it created first, a LOCK_DIR or
# TMP_DIR that is its symlink to its own decoy, a parent writable without
# the sticky bit, a group-writable LOG_DIR, and a lock file that is a
# symlink. Each run must exit 80, configuration (1 for the lock file) with one line naming
# the place, and write nothing through the link.
. "$(dirname "$0")/../integration/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root"
command -v setpriv >/dev/null || skip "setpriv not found"
require_vzpkg
make_env
chmod 755 "$TEST_TMP"  # the unprivileged user must reach its directory
as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

OST=debian-12-x86_64
TDIR=$TEMPLATE/debian/12/x86_64/config/os/default
mkdir -p "$TDIR"
echo dpkgx64 >"$TDIR/package_manager"
echo bash >"$TDIR/packages"
echo "http://127.0.0.1:9/debian $SUITE main" >"$TDIR/repositories"
echo planted >"$TEMPLATE/cache/$OST.tar.zst"  # create cache stops after the lock: "cache exists"

W=$TEST_TMP/world  # like /tmp: world-writable, sticky
mkdir "$W"
chmod 1777 "$W"
mkdir -m 0755 "$W/tmp" "$W/lock"
config_set TMP_DIR "$W/tmp"
config_set LOCK_DIR "$W/lock"
BASE=$(cat "$CONF")

# --- the legitimate case, with the stale sweep ------------------------------
sleep 0 &
DEAD=$!
wait "$DEAD"
! kill -0 "$DEAD" 2>/dev/null || fail "pid $DEAD still exists"
C=$TEMPLATE/cache
stale=("$C/$OST.tar.zst.tmp.$DEAD" "$C/$OST.json.tmp.$DEAD" "$W/tmp/$OST.$DEAD.aB3xYz")
live=("$C/$OST.tar.zst.tmp.$$" "$W/tmp/$OST.$$.q1W2e3" "$W/tmp/other-1-x86_64.$DEAD.aB3xYz"
	"$C/other-1-x86_64.tar.zst.tmp.$DEAD")
for f in "${stale[@]}" "${live[@]}"; do
	case $f in
	"$W/tmp/"*) mkdir -p "$f/root/etc" && echo x >"$f/root/etc/hostname" ;;
	*) echo partial >"$f" ;;
	esac
	touch -d '-1 hour' "$f"
done
run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "create cache with root-owned 0755 dirs in a sticky parent exited $RC$(vzpkg_log)"
for f in "${stale[@]}"; do
	[ ! -e "$f" ] || fail "stale $f (pid $DEAD is gone) was not removed"
done
for f in "${live[@]}"; do
	[ -e "$f" ] || fail "$f was removed: its pid is alive or it is another template's"
done
[ "$(stat -c %a "$W/tmp")" = 755 ] || fail "TMP_DIR mode changed"

# expect_refusal CODE OBJECT...: vzpkg create cache fails with one line naming them.
expect_refusal() {
	run_vzpkg create cache "$OST"
	check_error "$@"
}
reset_conf() { printf '%s\n' "$BASE" >"$CONF"; }

# --- TMP_DIR created first by another user ------------------------------------
as_user mkdir "$W/tmp2"
config_set TMP_DIR "$W/tmp2"
expect_refusal "$EXIT_CONFIG" TMP_DIR "$W/tmp2" "owned by uid 65534"
[ -z "$(ls -A "$W/tmp2")" ] || fail "vzpkg wrote into $W/tmp2 owned by another user"

# --- LOCK_DIR and TMP_DIR: the user's symlinks to its decoy -------------------
as_user mkdir "$W/decoy"
as_user ln -s "$W/decoy" "$W/lock2"
as_user ln -s "$W/decoy" "$W/tmp3"
reset_conf
config_set LOCK_DIR "$W/lock2"
expect_refusal "$EXIT_CONFIG" LOCK_DIR "$W/lock2" "symbolic link"
reset_conf
config_set TMP_DIR "$W/tmp3"
expect_refusal "$EXIT_CONFIG" TMP_DIR "$W/tmp3" "symbolic link"
[ -z "$(ls -A "$W/decoy")" ] || fail "vzpkg wrote through a symlink into $W/decoy: $(ls -A "$W/decoy")"

# --- a parent writable by all without the sticky bit --------------------------
mkdir -m 0777 "$W/open"
chmod 0777 "$W/open"
reset_conf
config_set PKG_CACHE "$W/open/pkgs"
expect_refusal "$EXIT_CONFIG" PKG_CACHE "$W/open" "writable by group or others"
[ ! -e "$W/open/pkgs" ] || fail "PKG_CACHE was created below a directory anyone may rename in"

# --- a group-writable LOG_DIR ---------------------------------------------------
mkdir "$TEST_TMP/log-gw"
chmod 0775 "$TEST_TMP/log-gw"
reset_conf
config_set LOG_DIR "$TEST_TMP/log-gw"
expect_refusal "$EXIT_CONFIG" LOG_DIR "$TEST_TMP/log-gw"

# --- the template's lock file is a symlink -------------------------------------
reset_conf
rm -f "$W/lock/$OST.lock"
ln -s "$TEST_TMP/lock-decoy" "$W/lock/$OST.lock"
expect_refusal 1 "$W/lock/$OST.lock"
[ ! -e "$TEST_TMP/lock-decoy" ] || fail "the lock was created through a symlink at $TEST_TMP/lock-decoy"
rm "$W/lock/$OST.lock"

# --- config numbers that overflow or leave their range -------------------------
for kv in MEMORY_LIMIT=99999999999G PIDS_LIMIT=99999999999999999999 PARALLEL_DOWNLOADS=0 \
	METADATA_EXPIRE=9999999999999999d PKG_CACHE_MAX=-1; do
	reset_conf
	config_set "${kv%%=*}" "${kv#*=}"
	expect_refusal "$EXIT_CONFIG" "$kv" "$CONF"
done

# and after all that, the legitimate configuration still works
reset_conf
run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "create cache with the legitimate config exited $RC$(vzpkg_log)"
echo "PASS: $TEST_NAME"
