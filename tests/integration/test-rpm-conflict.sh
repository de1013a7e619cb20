#!/bin/bash
# The template lists vzt-conflicting, which conflicts with the listed
# vzt-foo-tools: exit 70 naming both.
. "$(dirname "$0")/lib.sh"

setup_rpm_env "${RPM_TEMPLATE_PACKAGES[@]}" vzt-conflicting
expect_create_failure "$EXIT_PM" vzt-conflicting vzt-foo-tools
echo "PASS: $TEST_NAME"
