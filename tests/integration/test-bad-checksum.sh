#!/bin/bash
# A .deb altered after indexing, same size: only its SHA256 gives it away.
# Exit 6 naming the package.
. "$(dirname "$0")/lib.sh"

setup_repo_env
repo_corrupt_deb "$REPO" base-files same
expect_create_failure "$EXIT_VERIFY" base-files
echo "PASS: $TEST_NAME"
