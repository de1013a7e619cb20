#!/bin/bash
# The template lists a package no repository has: exit 70 naming the package.
. "$(dirname "$0")/lib.sh"

MISSING=vzpkg-test-no-such-package
setup_repo_env apt "$MISSING"
expect_create_failure "$EXIT_PM" "$MISSING"
echo "PASS: $TEST_NAME"
