#!/bin/bash
# A pre-cache hook (host side) that exits 3 aborts the build: vzpkg exits 7
# naming the hook.  The hook also records its argument, which must be the
# build root $TMP_DIR/<ost>.<pid>.XXXXXX/root.
. "$(dirname "$0")/lib.sh"

setup_repo_env
add_hook pre-cache "printf '%s\n' \"\$1\" >'$TEST_TMP/pre-cache.arg'; exit 3"
expect_create_failure "$EXIT_HOOK" pre-cache

[ -f "$TEST_TMP/pre-cache.arg" ] || fail "the pre-cache hook did not run"
arg=$(cat "$TEST_TMP/pre-cache.arg")
[[ $arg =~ ^"$TMP_DIR/$OST."[0-9]+\.......'/root'$ ]] ||
	fail "pre-cache got \$1='$arg', expected $TMP_DIR/$OST.<pid>.XXXXXX/root"
echo "PASS: $TEST_NAME"
