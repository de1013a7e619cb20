#!/bin/bash
# The shipped debian-12-x86_64-minimal template against the real Debian
# mirror, which vzpkg must find in the host's apt sources (no override here).
# Skips when that mirror does not answer within 10 s.
. "$(dirname "$0")/lib.sh"

require_privileges
require_vzpkg
mirror=$(host_mirrors | sed -n 1p)
[ -n "$mirror" ] || skip "the host's apt sources name no $SUITE mirror"
mirror_reachable || skip "the host's apt mirror $mirror does not answer within 10 s"

# The shipped repositories use $DEBIAN_MIRROR and $DEBIAN_SECURITY_MIRROR,
# which the environment could override; this test is about the host's sources.
unset DEBIAN_MIRROR DEBIAN_SECURITY_MIRROR
make_env
OST=debian-12-x86_64-minimal
[ -d "$VZPKG_SRC/templates" ] || fail "no shipped templates in $VZPKG_SRC/templates"
cp -a "$VZPKG_SRC/templates/." "$TEMPLATE/"
[ -f "$TEMPLATE/debian/12/x86_64/config/os/minimal/packages" ] ||
	fail "the shipped templates have no $OST (debian/12/x86_64/config/os/minimal/packages)"

VZPKG_TEST_TIMEOUT=${VZPKG_TEST_TIMEOUT:-1500} run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "vzpkg create cache $OST exited $RC$(vzpkg_log)"
assert_no_leftovers

CACHE=$TEMPLATE/cache/$OST.tar.zst
[ -s "$CACHE" ] || fail "no cache $CACHE; cache dir: $(ls -A "$TEMPLATE/cache")"
ROOT=$TEST_TMP/unpacked
unpack_cache "$CACHE" "$ROOT"
check_root_sane "$ROOT"

# The mirror vzpkg used came from the host's sources, so the container's
# apt sources name one of them.
found=
for m in $(host_mirrors); do
	grep -rqsF "$m" "$ROOT/etc/apt/sources.list" "$ROOT/etc/apt/sources.list.d/" && found=$m
done
[ -n "$found" ] || fail "the cache's apt sources name none of the host's mirrors: $(host_mirrors | tr '\n' ' ')"
echo "PASS: $TEST_NAME"
