#!/bin/bash
# build-rpm-repo.sh OUTDIR VERSION KEYDIR
#
# Build version VERSION (1 or 2) of the vztest RPM distribution into the
# repository OUTDIR: rpmbuild -bb every spec of specs/ that names VERSION in
# its "# vzt-dist-versions:" line, sign each package with rpmsign and the
# throwaway key "good" (made in KEYDIR on first use; its public key is
# KEYDIR/RPM-GPG-KEY-vzt), index with createrepo_c and sign repomd.xml
# (repodata/repomd.xml.asc).
#
# Building VERSION 2 into an OUTDIR that holds version 1 publishes the new
# state as a mirror would: packages whose name-version-release.arch did not
# change keep their files (same bytes), the others are replaced or removed.
. "$(dirname "$0")/common.sh"

[ $# = 3 ] || die "usage: build-rpm-repo.sh OUTDIR VERSION KEYDIR"
OUTDIR=$1 VERSION=$2 KEYDIR=$3
case $VERSION in 1 | 2) ;; *) die "VERSION must be 1 or 2, not '$VERSION'" ;; esac
mkdir -p "$OUTDIR" "$KEYDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

mapfile -t specs < <(specs_for_version "$VERSION")
[ "${#specs[@]}" -gt 0 ] || die "no spec files for version $VERSION in $SPEC_DIR"
stage_dir "$OUTDIR"
stage=$STAGE
build_rpms "$stage" "$VERSION" "${specs[@]}"
sign_rpms "$KEYDIR" good "$stage"/*.rpm
publish "$OUTDIR" "$stage"/*.rpm
rm -rf "$stage" # what publish did not take: packages that did not change
index "$OUTDIR"
sign_repomd "$OUTDIR" "$KEYDIR" good
