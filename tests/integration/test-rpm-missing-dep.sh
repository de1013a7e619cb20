#!/bin/bash
# The template lists vzt-chain, which requires vzt-needs-missing, which
# requires vzt-nowhere, which no repository has: exit 70, the line naming
# vzt-nowhere and the package that needs it.
. "$(dirname "$0")/lib.sh"

setup_rpm_env "${RPM_TEMPLATE_PACKAGES[@]}" vzt-chain
expect_create_failure "$EXIT_PM" vzt-nowhere vzt-needs-missing
echo "PASS: $TEST_NAME"
