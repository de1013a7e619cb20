#!/bin/bash
# A .deb that grew after indexing (Size and SHA256 no longer match Packages):
# still a verification failure, exit 81 naming the package.
. "$(dirname "$0")/lib.sh"

setup_repo_env
repo_corrupt_deb "$REPO" base-files longer
expect_create_failure "$EXIT_VERIFY" base-files
echo "PASS: $TEST_NAME"
