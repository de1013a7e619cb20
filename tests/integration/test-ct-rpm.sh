#!/bin/bash
# Containers of an RPM template (the vztest distribution): two containers
# from version 1, an application template with vzt-watcher (whose trigger
# on vzt-foo-tools must run in each container) installed into both; after
# the repository publishes version 2 (vzt-foo-tools and vzt-libfoo 1.0-2,
# vzt-new obsoleting vzt-old), status --all exits 22 with that plan, update
# --all brings both up to date (rpm -Va clean, vzt-new in, vzt-old out, the
# trigger ran again, vzpackages right) and status --all is 0 again. While
# a stand-in init runs from 101's private area, update 101 is refused in one
# line (a running RPM container) and changes nothing.
. "$(dirname "$0")/lib.sh"

# The template without vzt-watcher: the app adds it.
BASE=()
for p in "${RPM_TEMPLATE_PACKAGES[@]}"; do [ "$p" = vzt-watcher ] || BASE+=("$p"); done
setup_rpm_env "${BASE[@]}"
config_set METADATA_EXPIRE 0 # every run asks the repository
setup_ct_env 2
CTS=(101 102)

create_cts "$OST" "${CTS[@]}"
ct_no_leftovers
for id in "${CTS[@]}"; do
	ct_check_rpm "$id"
	! grep -q '^vzt-watcher ' "$TEST_TMP/installed.$id" || fail "container $id has vzt-watcher before the app is installed"
	[ ! -e "$(ct_private "$id")/var/lib/vzt/trigger.ran" ] || fail "container $id: trigger.ran before vzt-watcher is installed"
done

# --- install the app ----------------------------------------------------------------
make_app_template watch vzt-watcher
run_vzpkg install --all watch
[ "$RC" = 0 ] || fail "install --all watch exited $RC$(vzpkg_log)"
ct_no_leftovers
for id in "${CTS[@]}"; do
	block=$(ct_block "$OUT" "$id")
	[ -n "$block" ] && [[ $block != *FAILED* ]] || fail "install --all watch: container $id: '$block'$(vzpkg_log)"
	ct_has_app "$id" watch || fail "container $id: TEMPLATES is '$(ct_conf_get "$id" TEMPLATES)', lacks .watch"
	ct_check_rpm "$id"
	grep -qx 'vzt-watcher noarch 1.0-1' "$TEST_TMP/installed.$id" || fail "container $id: vzt-watcher 1.0-1 is not installed"
	[ "$(cat "$(ct_private "$id")/var/lib/vzt/trigger.ran" 2>/dev/null)" = trigger-ran ] ||
		fail "container $id: vzt-watcher's trigger on vzt-foo-tools did not run"
	rm "$(ct_private "$id")/var/lib/vzt/trigger.ran" # the update must run it again
done

# --- version 2 ------------------------------------------------------------------------
build_rpm_repo 2
run_vzpkg status --all
[ "$RC" = 22 ] || fail "status --all after the repository published version 2 exited $RC, expected 22$(vzpkg_log)"
for id in "${CTS[@]}"; do
	block=$(ct_block "$OUT" "$id")
	[ "$(head -n 1 <<<"$block")" = "container $id: pending" ] || fail "status --all: no 'container $id: pending'$(vzpkg_log)"
	for want in 'install vzt-foo-tools (0:)?1\.0-2' 'install vzt-libfoo (0:)?1\.0-2' \
		'install vzt-new (0:)?2\.0-1' 'remove vzt-old (0:)?1\.0-1'; do
		grep -qE "^  $want\$" <<<"$block" || fail "status --all: container $id's plan lacks '  $want': $block"
	done
	[ "$(grep -c '^  ' <<<"$block")" = 4 ] || fail "status --all: container $id's plan has more than version 2's changes: $block"
done

# --- a running RPM container is refused up front: librpm runs in vzpkg's process -------
root=$(ct_private 101)
[ -x /bin/busybox ] || fail "no /bin/busybox (busybox-static) for a stand-in init"
cp /bin/busybox "$root/busybox"  # a stand-in init: busybox sleep
(cd / && exec unshare --pid --fork --kill-child --root="$root" /busybox sleep 300) &
FAKE_INIT=$!
at_exit "kill -KILL $FAKE_INIT 2>/dev/null; wait $FAKE_INIT 2>/dev/null"
for i in $(seq 50); do
	[ -z "$(_procs_under_tmp | grep "root=$root ")" ] || break
	sleep 0.1
done
run_vzpkg update 101
[ "$RC" = 1 ] || fail "update 101 while it runs (an RPM container) exited $RC, expected 1$(vzpkg_log)"
block=$(ct_block "$OUT" 101)
[[ $block == "container 101: FAILED: container 101 is running; stop it first"* ]] ||
	fail "update 101 while it runs: '$block', expected it to be refused$(vzpkg_log)"
ct_check_rpm 101
grep -qxF "vzt-foo-tools x86_64 1.0-1" "$TEST_TMP/installed.101" || fail "the refused update changed container 101"
kill -KILL "$FAKE_INIT" # --kill-child: its init gets SIGKILL too (as PID 1 it ignores SIGTERM)
wait "$FAKE_INIT" 2>/dev/null || true
rm "$root/busybox"

run_vzpkg update --all
[ "$RC" = 0 ] || fail "update --all exited $RC$(vzpkg_log)"
ct_no_leftovers
for id in "${CTS[@]}"; do
	root=$(ct_private "$id")
	block=$(ct_block "$OUT" "$id")
	[ -n "$block" ] && [[ $block != *FAILED* ]] || fail "update --all: container $id: '$block'$(vzpkg_log)"
	ct_check_rpm "$id"
	for p in "vzt-foo-tools x86_64 1.0-2" "vzt-libfoo x86_64 1.0-2" "vzt-new noarch 2.0-1" "vzt-watcher noarch 1.0-1"; do
		grep -qxF "$p" "$TEST_TMP/installed.$id" ||
			fail "container $id does not have $p after the update: $(tr '\n' ';' <"$TEST_TMP/installed.$id")"
	done
	! grep -q '^vzt-old ' "$TEST_TMP/installed.$id" || fail "container $id: vzt-old is still installed after the update"
	[ ! -e "$root/usr/share/vzt-old/old.txt" ] || fail "container $id: vzt-old's file is still there"
	grep -qx 'vzt libfoo 1.0-2' "$root/usr/lib64/libfoo.so.1.0" ||
		fail "container $id: libfoo.so.1.0 is not release 2's: $(cat "$root/usr/lib64/libfoo.so.1.0")"
	[ "$(cat "$root/var/lib/vzt/trigger.ran" 2>/dev/null)" = trigger-ran ] ||
		fail "container $id: vzt-watcher's trigger did not run when vzt-foo-tools was updated"
	ct_has_app "$id" watch || fail "container $id: update dropped .watch from TEMPLATES"
done
run_vzpkg exec 101 -- /usr/bin/foo
[ "$RC" = 0 ] && [ "$(cat "$OUT")" = "foo-tools 1.0-2" ] ||
	fail "exec 101 -- /usr/bin/foo exited $RC printing '$(cat "$OUT")', expected 'foo-tools 1.0-2'$(vzpkg_log)"

run_vzpkg status --all
[ "$RC" = 0 ] || fail "status --all after update --all exited $RC, expected 0$(vzpkg_log)"
for id in "${CTS[@]}"; do
	[ "$(ct_block "$OUT" "$id")" = "container $id: up to date" ] ||
		fail "status --all after the update: container $id: '$(ct_block "$OUT" "$id")'$(vzpkg_log)"
done
ct_no_leftovers

echo "PASS: $TEST_NAME"
