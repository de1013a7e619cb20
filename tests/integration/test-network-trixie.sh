#!/bin/bash
# The shipped debian-13-x86_64-minimal template against the real Debian
# mirror named by the host's apt sources (a Debian 12 host: its sources
# carry bookworm; the same mirror carries trixie). Trixie's base-files ships
# the merged-/usr symlinks that vzpkg also makes; the build must accept them
# and give a root where dpkg's audit is clean and apt runs.
# Skips when that mirror does not answer within 10 s.
. "$(dirname "$0")/lib.sh"

require_privileges
require_vzpkg
mirror=$(host_mirrors | sed -n 1p)
[ -n "$mirror" ] || skip "the host's apt sources name no $SUITE mirror"
mirror_reachable || skip "the host's apt mirror $mirror does not answer within 10 s"

unset DEBIAN_MIRROR DEBIAN_SECURITY_MIRROR
make_env
curl -fsS --max-time 10 -o "$TEST_TMP/InRelease" "$mirror/dists/trixie/InRelease" ||
	skip "the host's apt mirror $mirror has no trixie (dists/trixie/InRelease)"
# vzpkg verifies with the host's keyring (DEBIAN_KEYRING); trixie's keys
# came to Debian 12 in debian-archive-keyring 2023.3+deb12u2.
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
gpgv --keyring "$keyring" "$TEST_TMP/InRelease" >/dev/null 2>&1 ||
	skip "$keyring cannot verify trixie's InRelease (update debian-archive-keyring)"

OST=debian-13-x86_64-minimal
cp -a "$VZPKG_SRC/templates/." "$TEMPLATE/"
[ -f "$TEMPLATE/debian/13/x86_64/config/os/minimal/packages" ] ||
	fail "the shipped templates have no $OST (debian/13/x86_64/config/os/minimal/packages)"

start=$SECONDS
VZPKG_TEST_TIMEOUT=${VZPKG_TEST_TIMEOUT:-1500} run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "vzpkg create cache $OST exited $RC$(vzpkg_log)"
say "built $OST in $((SECONDS - start)) s"
assert_no_leftovers

CACHE=$TEMPLATE/cache/$OST.tar.zst
[ -s "$CACHE" ] || fail "no cache $CACHE; cache dir: $(ls -A "$TEMPLATE/cache")"
ROOT=$TEST_TMP/unpacked
unpack_cache "$CACHE" "$ROOT"
check_root_sane "$ROOT"

# It is trixie, with the merged-/usr layout base-files ships.
ver=$(cat "$ROOT/etc/debian_version")
[[ $ver == 13* ]] || fail "/etc/debian_version in the cache is '$ver', not 13.x"
for d in bin sbin lib lib64; do
	[ "$(readlink "$ROOT/$d")" = "usr/$d" ] || fail "/$d in the cache is not the symlink $d -> usr/$d: $(ls -ld "$ROOT/$d")"
done
[ -x "$ROOT/usr/bin/sh" ] || fail "no /usr/bin/sh in the cache"
n=$(dpkg --root="$ROOT" -l | grep -c '^ii')
[ "$n" -ge 50 ] || fail "only $n packages installed in $OST"
grep -rqs 'trixie-security' "$ROOT/etc/apt/sources.list.d/" || fail "the cache's apt sources do not name trixie-security"
found=
for m in $(host_mirrors); do
	grep -rqsF "$m" "$ROOT/etc/apt/sources.list.d/" && found=$m
done
[ -n "$found" ] || fail "the cache's apt sources name none of the host's mirrors: $(host_mirrors | tr '\n' ' ')"
say "$n packages, cache $(du -h "$CACHE" | cut -f1)"
echo "PASS: $TEST_NAME"
