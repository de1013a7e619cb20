#!/bin/bash
# SIGINT while packages are being installed: vzpkg cleans up (no mount,
# process or build root left), keeps the old cache and exits 130 with one
# error line naming the template.
. "$(dirname "$0")/lib.sh"

setup_repo_env
plant_cache "$OST"

# alive PID: PID exists and is not a zombie waiting to be reaped.
alive() { [ -r "/proc/$1/stat" ] && ! grep -qs '^[0-9]* (.*) Z ' "/proc/$1/stat"; }

# installing: dpkg has recorded a package in the build root, or a dpkg/apt
# process runs below vzpkg (the root may be invisible from here if vzpkg
# mounts it in its own mount namespace).
installing() {
	local s
	for s in "$TMP_DIR"/*/root/var/lib/dpkg/status; do
		[ -s "$s" ] && return 0
	done
	python3 "$HELPERS" descendants "$1" | grep -qE ' (dpkg|dpkg-deb|apt-get|apt)$'
}

# Background jobs of a non-interactive shell start with SIGINT ignored;
# restore the default so vzpkg sees the signal as a user's Ctrl-C would.
env --default-signal=INT "$VZPKG" -q -c "$CONF" create cache -f "$OST" >"$OUT" 2>"$ERR" &
pid=$!
# Killed on exit if the test gives up on it (checked: a reaped PID may be reused).
at_exit '[ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$VZPKG")" ] && kill -KILL "$pid"'

deadline=$((SECONDS + ${VZPKG_TEST_TIMEOUT:-600}))
until installing "$pid"; do
	if ! alive "$pid"; then
		RC=0
		wait "$pid" || RC=$?
		pid=
		fail "vzpkg exited ($RC) before the install started$(vzpkg_log)"
	fi
	[ "$SECONDS" -lt "$deadline" ] || fail "the install did not start in time$(vzpkg_log)"
	sleep 0.2
done

kill -INT "$pid"
deadline=$((SECONDS + 120))
while alive "$pid"; do
	[ "$SECONDS" -lt "$deadline" ] || fail "vzpkg still running 120 s after SIGINT$(vzpkg_log)"
	sleep 0.2
done
RC=0
wait "$pid" || RC=$?
pid=

check_error 130 "$OST"
check_cache_untouched
assert_no_leftovers
echo "PASS: $TEST_NAME"
