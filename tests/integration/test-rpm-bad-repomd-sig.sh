#!/bin/bash
# repodata/repomd.xml.asc does not verify: repomd.xml was changed after it
# was signed (still valid XML, every checksum in it right), or it is signed
# by a key the template does not list.  Either way: exit 81 naming the
# repository.
. "$(dirname "$0")/lib.sh"

setup_rpm_env
rpm_repo_variant repomd-modified
expect_create_failure "$EXIT_VERIFY" "$RPM_MIRROR"

build_rpm_repo 1 # a good repository again (re-indexed and re-signed)
rpm_repo_variant repomd-wrong-key
expect_create_failure "$EXIT_VERIFY" "$RPM_MIRROR"
echo "PASS: $TEST_NAME"
