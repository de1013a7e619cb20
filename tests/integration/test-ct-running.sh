#!/bin/bash
# heavy
# Install, update and a failed update inside a RUNNING container, one
# vzctl-layout container made by create ct and booted by LXC with its own
# systemd (one boot, one base build):
# - an application template with a daemon (v1, built here: a compiled
#   binary, a systemd unit enabled and restarted by its postinst, a
#   conffile) installed into it: the service is active;
# - v2 published while v1 is withdrawn: update is refused up front in one
#   line (the installed v1 could not be reinstalled by a roll-back) and
#   nothing changes; v1 back, update: the service is active on the v2
#   binary (/proc/PID/exe), the container still runs with the same init;
# - the conffile edited in the container, a v3 whose postinst fails
#   published: update exits 7, says it rolled back to the previous
#   versions; dpkg has v2, the service runs the v2 binary, the conffile is
#   byte for byte as edited, no .dpkg-dist is left, the same init runs;
# - status is clean once v3 is withdrawn; templates/vzpackages matches dpkg;
#   nothing is left behind (while running, and after the shutdown).
# Skips (77) without lxc-start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-boot.sh"
. "$(dirname "$0")/lib-running.sh"

CT=301
require_lxc
command -v gcc >/dev/null || skip "gcc is not installed (the test daemon is compiled here)"
setup_repo_env apt systemd-sysv dbus
config_set METADATA_EXPIRE 0
setup_ct_env 1
publish_daemon 1
make_app_template daemon "$DAEMON"
create_cts "$OST" "$CT"
lxc_boot "$CT" "$(ct_private "$CT")"
wait_running "$CT"
INIT=$(ct_init_id "$CT")

# --- install into the running container ----------------------------------------
run_vzpkg install "$CT" daemon
[ "$RC" = 0 ] || fail "install $CT daemon (running) exited $RC$(vzpkg_log)"
block=$(ct_block "$OUT" "$CT")
[[ $block == *"in the running container"* ]] || fail "the summary does not say it worked in the running container: '$block'"
check_service "$CT" 1
ct_has_app "$CT" daemon || fail "container $CT: TEMPLATES lacks .daemon after the install"
[ "$(ct_init_id "$CT")" = "$INIT" ] || fail "container $CT: its init changed during the install"
running_no_leftovers "$CT"

# --- the previous version is no longer published: refused, nothing changes --------
build_daemon_deb 2
cp "$TEST_TMP/daemon/${DAEMON}_2_amd64.deb" "$REPO/pool/main/"
withdraw_daemon 1  # republishes with v2
run_vzpkg update "$CT"
[ "$RC" != 0 ] || fail "update $CT succeeded although $DAEMON 1 (installed) is not published any more$(vzpkg_log)"
block=$(ct_block "$OUT" "$CT")
[[ $block == *FAILED*"$DAEMON 1"*"--accept-no-rollback"* ]] ||
	fail "the refusal does not name $DAEMON 1 and --accept-no-rollback: '$block'$(vzpkg_log)"
[ "$(deb_installed_version "$CT" "$DAEMON")" = 1 ] || fail "container $CT: the refused update changed $DAEMON"
check_service "$CT" 1

# --- update: v2 runs -----------------------------------------------------------------
publish_daemon 1
run_vzpkg update "$CT"
[ "$RC" = 0 ] || fail "update $CT (running) exited $RC$(vzpkg_log)"
[[ $(ct_block "$OUT" "$CT") == *"in the running container"* ]] || fail "update: '$(ct_block "$OUT" "$CT")'"
[ "$(deb_installed_version "$CT" "$DAEMON")" = 2 ] || fail "container $CT: $DAEMON is not version 2 after update"
check_service "$CT" 2
[ "$(ct_init_id "$CT")" = "$INIT" ] || fail "container $CT: its init changed during the update"
running_no_leftovers "$CT"

# --- a failed update rolls back in place -----------------------------------------------
in_ct "$CT" sh -c "echo 'listen 192.0.2.1 # edited by the admin' >>$DAEMON_CONF" || fail "cannot edit $DAEMON_CONF"
conf_before=$(sha256sum <"$(ct_private "$CT")$DAEMON_CONF")
publish_daemon 3 fail
run_vzpkg update "$CT"
[ "$RC" = "$EXIT_PM" ] || fail "update $CT with a failing postinst exited $RC, expected $EXIT_PM$(vzpkg_log)"
block=$(ct_block "$OUT" "$CT")
[[ $block == "container $CT: FAILED: "*"; rolled back to the previous versions" ]] ||
	fail "the summary does not say the running container was rolled back: '$block'$(vzpkg_log)"
[ "$(deb_installed_version "$CT" "$DAEMON")" = 2 ] ||
	fail "container $CT: dpkg has $DAEMON '$(deb_installed_version "$CT" "$DAEMON")' after the roll-back, expected 2"
check_service "$CT" 2
[ "$(sha256sum <"$(ct_private "$CT")$DAEMON_CONF")" = "$conf_before" ] ||
	fail "container $CT: $DAEMON_CONF is not as the admin left it: $(cat "$(ct_private "$CT")$DAEMON_CONF")"
left=$(cd "$(ct_private "$CT")/etc" && ls -d vzt-daemon.conf.* 2>/dev/null || true)
[ -z "$left" ] || fail "container $CT: the roll-back left $left in /etc"
[ "$(ct_init_id "$CT")" = "$INIT" ] || fail "container $CT: its init changed during the failed update"
running_no_leftovers "$CT"

# --- clean state ---------------------------------------------------------------------------
withdraw_daemon 3
run_vzpkg status "$CT"
[ "$RC" = 0 ] || fail "status $CT exited $RC after the roll-back, expected 0 (up to date)$(vzpkg_log)"
[[ $(ct_block "$OUT" "$CT") =~ ^"container $CT: up to date (running, init "[0-9]+")"$ ]] || fail "status: '$(ct_block "$OUT" "$CT")'"
ct_check_deb "$CT"
in_ct "$CT" systemctl is-system-running >/dev/null || fail "container $CT is '$(in_ct "$CT" systemctl is-system-running)'"
lxc_shutdown "$CT"
ct_no_leftovers
echo "PASS: $TEST_NAME"
