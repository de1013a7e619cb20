#!/bin/bash
# A signed package's payload was altered after signing, and the repository
# re-indexed: the checksum and size in primary.xml match the altered file,
# so only the package's own payload digest (covered by its signature) can
# tell.  Exit 6 naming the package.
. "$(dirname "$0")/lib.sh"

setup_rpm_env
rpm_repo_variant tamper vzt-foo-tools
expect_create_failure "$EXIT_VERIFY" vzt-foo-tools
echo "PASS: $TEST_NAME"
