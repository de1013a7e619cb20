#!/bin/bash
# build-template-rpm.sh OUTDIR KEYDIR KEYNAME|- SPEC
#
# rpmbuild -bb SPEC (a vztt-style template package made by a test) into
# OUTDIR, signed with the throwaway key KEYNAME of KEYDIR (made on first
# use, its public key KEYDIR/RPM-GPG-KEY-vzt[-KEYNAME]), or left unsigned
# with "-".
. "$(dirname "$0")/common.sh"

[ $# = 4 ] || die "usage: build-template-rpm.sh OUTDIR KEYDIR KEYNAME|- SPEC"
OUTDIR=$1 KEYDIR=$2 KEYNAME=$3 SPEC=$4
mkdir -p "$OUTDIR"
stage_dir "$OUTDIR"
build_rpms "$STAGE" 1 "$SPEC"
[ "$KEYNAME" = - ] || sign_rpms "$KEYDIR" "$KEYNAME" "$STAGE"/*.rpm
mv "$STAGE"/*.rpm "$OUTDIR/"
