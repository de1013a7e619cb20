#!/bin/bash
# The repository's port has no listener: exit 52 naming the repository URL.
. "$(dirname "$0")/lib.sh"

setup_repo_env
# Repoint the template at a port nothing listens on (free right now; nobody
# here will bind it).
DEAD=http://127.0.0.1:$(free_port)
config_var TEST_MIRROR "$DEAD"
expect_create_failure "$EXIT_DOWNLOAD" "$DEAD"
echo "PASS: $TEST_NAME"
