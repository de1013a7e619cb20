#!/bin/bash
# create cache of a template that does not exist: exit 24 naming it.
# No repository is needed: vzpkg must fail before any download.
. "$(dirname "$0")/lib.sh"

require_privileges
require_vzpkg
make_env
OST=debian-99-x86_64
expect_create_failure "$EXIT_TEMPLATE" "$OST"
echo "PASS: $TEST_NAME"
