#!/bin/bash
# repo-variant.sh VARIANT OUTDIR VERSION KEYDIR [PACKAGE]
#
# Turn the repository OUTDIR (made by build-rpm-repo.sh OUTDIR VERSION
# KEYDIR) into a bad one.  Every variant except the repomd-* ones re-indexes
# and re-signs repomd.xml with the good key, so that only the defect itself
# is wrong:
#
#   unsigned PACKAGE     PACKAGE rebuilt and published without a signature
#   wrong-key PACKAGE    PACKAGE rebuilt and signed by another key ("wrong",
#                        which the template does not list)
#   tamper PACKAGE       PACKAGE's signed file altered near its end (inside
#                        the compressed payload) after signing; primary.xml
#                        is regenerated, so its checksum and size match the
#                        altered file and only the package's own digests and
#                        signature can tell
#   repomd-wrong-key     repomd.xml.asc made with the wrong key
#   repomd-modified      repomd.xml altered (a comment added, still valid
#                        XML, every checksum in it still right) after signing
. "$(dirname "$0")/common.sh"

[ $# -ge 4 ] || die "usage: repo-variant.sh VARIANT OUTDIR VERSION KEYDIR [PACKAGE]"
VARIANT=$1 OUTDIR=$2 VERSION=$3 KEYDIR=$4 PKG=${5:-}
[ -s "$OUTDIR/repodata/repomd.xml" ] || die "$OUTDIR is not a repository (build it first)"
OUTDIR=$(cd "$OUTDIR" && pwd)

need_pkg() { [ -n "$PKG" ] || die "variant $VARIANT needs a PACKAGE"; }

# rebuild: PACKAGE built afresh from its spec, unsigned; sets NEW.
rebuild() {
	local stage
	stage_dir "$OUTDIR"
	stage=$STAGE
	build_rpms "$stage" "$VERSION" "$(spec_of "$PKG")"
	NEW=$(find "$stage" -maxdepth 1 -name '*.rpm' | head -n 1)
	[ -n "$NEW" ] || die "rpmbuild made no package for $PKG"
}

case $VARIANT in
unsigned)
	need_pkg
	rebuild
	replace_rpm "$OUTDIR" "$NEW"
	index "$OUTDIR"
	sign_repomd "$OUTDIR" "$KEYDIR" good
	;;
wrong-key)
	need_pkg
	rebuild
	sign_rpms "$KEYDIR" wrong "$NEW"
	replace_rpm "$OUTDIR" "$NEW"
	index "$OUTDIR"
	sign_repomd "$OUTDIR" "$KEYDIR" good
	;;
tamper)
	need_pkg
	f=$(repo_file "$OUTDIR" "$PKG")
	# 16 bytes, 24 bytes before the end: inside the payload, which is the
	# end of every .rpm file.  A new inode, the old one is unlinked.
	python3 - "$f" <<'PY'
import os, sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
for i in range(len(data) - 24, len(data) - 8):
    data[i] ^= 0x5A
with open(path + ".tmp", "wb") as out:
    out.write(data)
os.replace(path + ".tmp", path)
PY
	index "$OUTDIR"
	sign_repomd "$OUTDIR" "$KEYDIR" good
	;;
repomd-wrong-key)
	sign_repomd "$OUTDIR" "$KEYDIR" wrong
	;;
repomd-modified)
	[ -s "$OUTDIR/repodata/repomd.xml.asc" ] || die "$OUTDIR/repodata/repomd.xml is not signed"
	sed -i 's|</repomd>|<!-- altered after signing --></repomd>|' "$OUTDIR/repodata/repomd.xml"
	grep -q 'altered after signing' "$OUTDIR/repodata/repomd.xml" || die "could not alter repomd.xml"
	;;
*)
	die "unknown variant '$VARIANT'"
	;;
esac
