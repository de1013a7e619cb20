#!/bin/bash
# A package of the RPM repository has no signature (its digests are right,
# and primary.xml and repomd.xml describe it correctly): exit 81 naming it.
. "$(dirname "$0")/lib.sh"

setup_rpm_env
rpm_repo_variant unsigned vzt-rich
expect_create_failure "$EXIT_VERIFY" vzt-rich
echo "PASS: $TEST_NAME"
