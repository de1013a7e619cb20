#!/bin/bash
# Several names no repository has, in packages, packages_0 and packages_1:
# one error (exit 70) naming every one of them, not one per run.
. "$(dirname "$0")/lib.sh"

setup_repo_env apt vzpkg-test-missing-a
printf 'vzpkg-test-missing-b gpgv\n' >"$TDIR/packages_0"
printf 'vzpkg-test-missing-c\n' >"$TDIR/packages_1"
expect_create_failure "$EXIT_PM" vzpkg-test-missing-a vzpkg-test-missing-b vzpkg-test-missing-c
grep -q 'gpgv' "$ERR" && fail "the error names gpgv, which the repository has: $(cat "$ERR")"
echo "PASS: $TEST_NAME"
