#!/bin/bash
# An RPM template that names a comps group (@vzt-base) and reaches its
# repository only through a mirrorlist whose first mirror is dead: the
# group's mandatory and default packages are installed, not the optional
# one, and the second mirror serves everything.
. "$(dirname "$0")/lib.sh"

setup_rpm_env vzt-filesystem vzt-setup @vzt-base
cat >"$TEST_TMP/comps.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<comps>
  <group>
    <id>vzt-base</id>
    <name>VZT base</name>
    <default>true</default>
    <packagelist>
      <packagereq type="mandatory">vzt-shell</packagereq>
      <packagereq type="default">vzt-rich</packagereq>
      <packagereq type="optional">vzt-watcher</packagereq>
    </packagelist>
  </group>
</comps>
XML
createrepo_c --quiet --update -g "$TEST_TMP/comps.xml" "$RPM_REPO" || fail "createrepo_c -g failed"
(. "$RPM_TOOLS/common.sh" && sign_repomd "$RPM_REPO" "$RPM_KEYS" good) || fail "cannot re-sign repomd.xml"

# The repository only through a mirrorlist: port 9 (discard) answers nobody.
printf '# mirrors\nhttp://127.0.0.1:9/dead/\n%s/\n' "$RPM_MIRROR" >"$TEST_TMP/www/mirrorlist"
: >"$TDIR/repositories"
echo "http://127.0.0.1:$PORT/mirrorlist" >"$TDIR/mirrorlist"

run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "create cache exited $RC$(vzpkg_log)"
ROOT=$TEST_TMP/unpacked
unpack_cache "$TEMPLATE/cache/$OST.tar.zst" "$ROOT"
got=$(sed 's/^ //' "$ROOT/templates/vzpackages" | cut -d' ' -f1 | sort | tr '\n' ' ')
# vzt-shell needs vzt-filesystem; vzt-rich needs vzt-libfoo (or vzt-libbar)
for p in vzt-filesystem vzt-setup vzt-shell vzt-rich; do
	[[ " $got " == *" $p "* ]] || fail "$p missing from the cache (got: $got)"
done
[[ " $got " != *" vzt-watcher "* ]] || fail "the optional group member vzt-watcher was installed (got: $got)"
[[ " $got " != *"group:"* ]] || fail "the group itself is listed as a package (got: $got)"
assert_no_leftovers
echo "PASS: $TEST_NAME"
