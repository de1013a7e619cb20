#!/bin/bash
# A post-install hook (runs inside the container) that exits 4 aborts the
# build after the install: vzpkg exits 7 naming the hook.
. "$(dirname "$0")/lib.sh"

setup_repo_env
# Had the hook run on the host instead of in the container, this host path
# would exist afterwards.
MARK=$TEST_TMP/host-marker/post-install-ran-on-host
add_hook post-install "mkdir -p '${MARK%/*}' && touch '$MARK'; exit 4"
expect_create_failure "$EXIT_HOOK" post-install
[ ! -e "$MARK" ] || fail "the post-install hook ran on the host, not in the container"
echo "PASS: $TEST_NAME"
