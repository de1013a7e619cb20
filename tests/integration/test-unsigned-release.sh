#!/bin/bash
# The repository's InRelease carries no signature (and there is no
# Release.gpg): exit 81 naming the repository.
. "$(dirname "$0")/lib.sh"

setup_repo_env
repo_unsign "$REPO"
expect_create_failure "$EXIT_VERIFY" "$MIRROR"
echo "PASS: $TEST_NAME"
