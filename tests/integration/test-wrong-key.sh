#!/bin/bash
# InRelease and Release.gpg are validly signed, but by a key the template
# does not list: exit 81 naming the repository.
. "$(dirname "$0")/lib.sh"

setup_repo_env
repo_sign "$REPO" wrong
expect_create_failure "$EXIT_VERIFY" "$MIRROR"
echo "PASS: $TEST_NAME"
