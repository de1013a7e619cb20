#!/bin/bash
# A package (a dependency, not listed by the template) is validly signed, but
# by a key the template does not list: exit 81 naming the package.
. "$(dirname "$0")/lib.sh"

setup_rpm_env
rpm_repo_variant wrong-key vzt-libfoo
expect_create_failure "$EXIT_VERIFY" vzt-libfoo
echo "PASS: $TEST_NAME"
