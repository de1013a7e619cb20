#!/bin/bash
# Container transactions fail alone and roll back: an application template
# whose post-install hook fails in one of two containers is installed in the
# other, while the failing one is left exactly as it was (every file, mode,
# owner, mtime and byte; its config) and the summary says it was rolled
# back; the transaction ran with its syncs answered 0 (SYNC_CONTAINERS=no,
# the default: a hook's fsync of /dev/null succeeds) and with
# SYNC_CONTAINERS=yes as the kernel answers them (EINVAL). A roll-back
# snapshot left by an operation that never ended stops the next operation on
# that container (status 1, unchanged, the snapshot kept, the message names it) and
# not the others, whose unfinished or retired snapshots (.new, .done) are
# removed.  And container locks: while another process holds a container's
# lock, update fails at once (status 9, one line naming it), and with
# --timeout waits for the lock and then succeeds.
. "$(dirname "$0")/lib.sh"

setup_lc_env
setup_ct_env 2
create_cts "$OST" 101 102

APP_PKG=$(uninstalled_pkg 101 original-awk gawk)
make_app_template failing "$APP_PKG"
add_app_hook post-install "if [ -e /etc/fail-here ]; then echo 'vzt: failing on purpose' >&2; exit 5; fi
dpkg-query -W -f='\${Version}\n' $APP_PKG >/etc/failing-post
# fsync(2) of /dev/null is EINVAL from the kernel, 0 from the nosync filter
if dd if=/dev/zero of=/dev/null count=1 conv=fsync 2>/dev/null; then echo nosync; else echo sync; fi >/etc/failing-sync"

# --- one container fails, the other succeeds ------------------------------------
echo "make post-install fail" >"$(ct_private 102)/etc/fail-here"
tree_manifest "$(ct_private 102)" "$TEST_TMP/tree.102.before" content
cp "$(ct_conf 102)" "$TEST_TMP/conf.102.before"
TEMPLATES_102=$(ct_conf_get 102 TEMPLATES)
run_vzpkg install 101 102 failing
[ "$RC" = "$EXIT_HOOK" ] || fail "install 101 102 failing, with post-install failing in 102, exited $RC, expected $EXIT_HOOK$(vzpkg_log)"
ct_no_leftovers

block=$(ct_block "$OUT" 102)
[[ $block == "container 102: FAILED: "*post-install*5*"; rolled back" ]] ||
	fail "the summary for container 102 does not say that post-install failed with status 5 and it was rolled back: '$block'$(vzpkg_log)"
tree_manifest "$(ct_private 102)" "$TEST_TMP/tree.102.after" content
cmp -s "$TEST_TMP/tree.102.before" "$TEST_TMP/tree.102.after" ||
	fail "container 102 is not as before the failed install (< before, > after):
$(diff_lines "$TEST_TMP/tree.102.before" "$TEST_TMP/tree.102.after")"
cmp -s "$TEST_TMP/conf.102.before" "$(ct_conf 102)" ||
	fail "the failed install changed $(ct_conf 102): $(diff_lines "$TEST_TMP/conf.102.before" "$(ct_conf 102)")"
[ "$(ct_conf_get 102 TEMPLATES)" = "$TEMPLATES_102" ] || fail "container 102's TEMPLATES changed"
[ -z "$(deb_installed_version 102 "$APP_PKG")" ] || fail "container 102 has $APP_PKG installed after the roll-back"

block=$(ct_block "$OUT" 101)
[ -n "$block" ] && [[ $block != *FAILED* ]] || fail "container 101 did not succeed: '$block'$(vzpkg_log)"
ct_has_app 101 failing || fail "container 101: TEMPLATES is '$(ct_conf_get 101 TEMPLATES)', lacks .failing"
ct_check_deb 101
v=$(deb_installed_version 101 "$APP_PKG")
[ -n "$v" ] || fail "container 101: $APP_PKG is not installed"
[ "$(cat "$(ct_private 101)/etc/failing-post" 2>/dev/null)" = "$v" ] ||
	fail "container 101: post-install did not run after $APP_PKG was installed"
ct_check_deb 102
[ "$(cat "$(ct_private 101)/etc/failing-sync")" = nosync ] ||
	fail "container 101: a hook's fsync was not answered by the nosync filter (SYNC_CONTAINERS=no): '$(cat "$(ct_private 101)/etc/failing-sync")'"

# --- an operation that never ended (host crash, killed worker) ------------------
# 102: its complete snapshot is still there; 101: an unfinished and a retired one.
rm "$(ct_private 102)/etc/fail-here"
SNAP102="$(ct_private 102).vzpkg-snapshot"
mkdir -p "$SNAP102/etc" "$(ct_private 101).vzpkg-snapshot.new/etc" "$(ct_private 101).vzpkg-snapshot.done/etc"
echo "the state before" >"$SNAP102/etc/marker"
tree_manifest "$(ct_private 102)" "$TEST_TMP/tree.102.before" content
config_set SYNC_CONTAINERS yes
run_vzpkg install 101 102 failing
[ "$RC" = 1 ] || fail "install 101 102 failing with a leftover snapshot of 102 exited $RC, expected 1$(vzpkg_log)"
block=$(ct_block "$OUT" 102)
[[ $block == "container 102: FAILED: "*"$SNAP102"*"nothing was changed" ]] ||
	fail "container 102 with a leftover snapshot: the summary does not name $SNAP102 and say nothing changed: '$block'$(vzpkg_log)"
[ "$(cat "$SNAP102/etc/marker" 2>/dev/null)" = "the state before" ] || fail "the leftover snapshot of 102 was not kept"
tree_manifest "$(ct_private 102)" "$TEST_TMP/tree.102.after" content
cmp -s "$TEST_TMP/tree.102.before" "$TEST_TMP/tree.102.after" ||
	fail "container 102 changed although its leftover snapshot stopped the install:
$(diff_lines "$TEST_TMP/tree.102.before" "$TEST_TMP/tree.102.after")"
block=$(ct_block "$OUT" 101)
[ -n "$block" ] && [[ $block != *FAILED* ]] || fail "container 101 (leftovers .new, .done) did not succeed: '$block'$(vzpkg_log)"
[ ! -e "$(ct_private 101).vzpkg-snapshot.new" ] && [ ! -e "$(ct_private 101).vzpkg-snapshot.done" ] ||
	fail "the unfinished or retired snapshot of 101 was not removed"
[ "$(cat "$(ct_private 101)/etc/failing-sync")" = sync ] ||
	fail "container 101: with SYNC_CONTAINERS=yes a hook's fsync did not reach the kernel: '$(cat "$(ct_private 101)/etc/failing-sync")'"
# The admin keeps the current state, as the message says; then 102 works.
rm -rf "$SNAP102"
config_set SYNC_CONTAINERS no
run_vzpkg install 102 failing
[ "$RC" = 0 ] || fail "install 102 failing after its leftover snapshot was removed exited $RC$(vzpkg_log)"
[ -n "$(deb_installed_version 102 "$APP_PKG")" ] || fail "container 102: $APP_PKG is not installed"
ct_check_deb 102
ct_no_leftovers

# --- the container lock ---------------------------------------------------------
ct_hold_lock 101 3
t0=$(date +%s.%N)
run_vzpkg update 101
t1=$(date +%s.%N)
kill -0 "$HOLD_PID" 2>/dev/null || fail "the lock holder ended before update 101 was done; cannot test the lock"
check_error "$EXIT_LOCKED" 101
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 2) }' ||
	fail "update 101 on a locked container took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s to give up, expected at once"

# With --timeout: waits (and says so) until the holder lets go, then works.
run_vzpkg update --timeout 10 101
t2=$(date +%s.%N)
[ "$RC" = 0 ] || fail "update --timeout 10 101 exited $RC after the lock was released$(vzpkg_log)"
grep -qi 'wait' "$ERR" && grep 'wait' "$ERR" | grep -q 101 ||
	fail "update --timeout 10 101 did not say it was waiting for container 101$(vzpkg_log)"
! kill -0 "$HOLD_PID" 2>/dev/null || fail "update --timeout 10 101 finished while the lock was still held"
awk -v a="$t0" -v b="$t2" 'BEGIN { exit !(b - a >= 2.5) }' ||
	fail "update --timeout 10 101 did not wait for the lock (done $(awk -v a="$t0" -v b="$t2" 'BEGIN { print b - a }') s after it was taken for 3 s)"
block=$(ct_block "$OUT" 101)
[ -n "$block" ] && [[ $block != *FAILED* ]] || fail "update --timeout 10 101: '$block'$(vzpkg_log)"
ct_check_deb 101
ct_no_leftovers

echo "PASS: $TEST_NAME"
