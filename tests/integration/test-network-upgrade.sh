#!/bin/bash
# heavy
# vzpkg upgrade against the real Debian mirror named by the host's apt
# sources: a container made from the shipped debian-12-x86_64 template is
# moved in place to debian-13-x86_64 (whose upgradable_versions names 12).
# upgrade -n lists the plan and changes nothing; upgrade exits 0; then
# /etc/debian_version says 13, dpkg --audit (inside the container) is
# empty, the config's OSTEMPLATE is debian-13-x86_64, the stamps and
# vzpackages follow, apt's sources name trixie, the four upgrade hooks ran
# in their order, and the container boots under LXC with its own init to
# systemctl is-system-running = "running". One cache build, one boot.
# Skips without LXC or when the mirror does not answer within 10 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-boot.sh"

require_lxc
mirror=$(host_mirrors | sed -n 1p)
[ -n "$mirror" ] || skip "the host's apt sources name no $SUITE mirror"
mirror_reachable || skip "the host's apt mirror $mirror does not answer within 10 s"
unset DEBIAN_MIRROR DEBIAN_SECURITY_MIRROR # this test is about the host's sources

make_env
setup_ct_env 1
curl -fsS --max-time 10 -o "$TEST_TMP/InRelease" "$mirror/dists/trixie/InRelease" ||
	skip "the host's apt mirror $mirror has no trixie (dists/trixie/InRelease)"
cp -a "$VZPKG_SRC/templates/." "$TEMPLATE/"
NEW=$TEMPLATE/debian/13/x86_64/config/os/default
grep -qx 12 "$NEW/upgradable_versions" || fail "the shipped debian-13-x86_64 does not list 12 in upgradable_versions"

# The hooks of the new release, each appending its name and the Debian
# version it sees to /root/upgrade-hooks in the container: the host-side
# ones through the private area ($1; their $2 is the container's ID), the
# others inside the container.
for h in pre-upgrade-hn post-upgrade-hn; do
	printf '#!/bin/bash\nset -e\n[ "$2" = 401 ]\necho "%s $(cut -c1-2 "$1/etc/debian_version")" >>"$1/root/upgrade-hooks"\n' "$h" >"$NEW/$h"
	chmod 755 "$NEW/$h"
done
for h in pre-upgrade post-upgrade; do
	printf '#!/bin/bash\nset -e\necho "%s $(cut -c1-2 /etc/debian_version)" >>/root/upgrade-hooks\n' "$h" >"$NEW/$h"
	chmod 755 "$NEW/$h"
done
HOOKS_RAN=/root/upgrade-hooks

start=$SECONDS
VZPKG_TEST_TIMEOUT=${VZPKG_TEST_TIMEOUT:-1500} run_vzpkg create ct 401 --ostemplate debian-12-x86_64
[ "$RC" = 0 ] || fail "create ct 401 --ostemplate debian-12-x86_64 exited $RC$(vzpkg_log)"
say "debian-12-x86_64 cache and container 401 in $((SECONDS - start)) s"
ROOT=$(ct_private 401)
grep -q '^12\.' "$ROOT/etc/debian_version" || fail "container 401 is not Debian 12: $(cat "$ROOT/etc/debian_version")"
# a changed configuration file, which the upgrade must keep
echo "# local change" >>"$ROOT/etc/sudoers"  # shipped by sudo, changed in 13
tree_manifest "$ROOT" "$TEST_TMP/before.tree"
cp "$ROOT/var/lib/dpkg/status" "$TEST_TMP/status.before"
cp "$(ct_conf 401)" "$TEST_TMP/conf.before"

# -n: the plan, nothing changed
start=$SECONDS
run_vzpkg upgrade -n 401
[ "$RC" = 0 ] || fail "upgrade -n 401 exited $RC$(vzpkg_log)"
grep -Eq '^container 401: upgrade pending from debian-12-x86_64 to debian-13-x86_64: [1-9][0-9]* upgraded, [0-9]+ new, [0-9]+ removed$' "$OUT" ||
	fail "upgrade -n 401 printed no plan line: $(head -n 3 "$OUT")"
grep -Eq '^  upgrade base-files 12\.[^ ]* -> 13\.' "$OUT" || fail "the plan does not upgrade base-files to 13: $(grep base-files "$OUT")"
grep -Eq '^  upgrade dpkg ' "$OUT" || fail "the plan does not upgrade dpkg"
say "upgrade -n: $(head -n 1 "$OUT") ($((SECONDS - start)) s)"
tree_manifest "$ROOT" "$TEST_TMP/after-n.tree"
cmp -s "$TEST_TMP/before.tree" "$TEST_TMP/after-n.tree" ||
	fail "upgrade -n changed the private area: $(diff_lines "$TEST_TMP/before.tree" "$TEST_TMP/after-n.tree")"
cmp -s "$TEST_TMP/conf.before" "$(ct_conf 401)" || fail "upgrade -n changed the config"
[ ! -e "$ROOT$HOOKS_RAN" ] || fail "upgrade -n ran hooks: $(cat "$ROOT$HOOKS_RAN")"

start=$SECONDS
VZPKG_TEST_TIMEOUT=${VZPKG_TEST_TIMEOUT:-1500} run_vzpkg upgrade 401
[ "$RC" = 0 ] || fail "upgrade 401 exited $RC$(vzpkg_log)"
say "upgrade: $(head -n 1 "$OUT") (the command: $((SECONDS - start)) s)"
grep -Eq '^container 401: upgraded from debian-12-x86_64 to debian-13-x86_64: ' "$OUT" ||
	fail "upgrade 401 printed: $(head -n 3 "$OUT")"
grep -q '^13\.' "$ROOT/etc/debian_version" || fail "after the upgrade /etc/debian_version is $(cat "$ROOT/etc/debian_version")"
v=$(ct_conf_get 401 OSTEMPLATE)
[ "$v" = .debian-13-x86_64 ] || fail "$(ct_conf 401): OSTEMPLATE is '$v', expected '.debian-13-x86_64'"
v=$(ct_conf_get 401 DISTRIBUTION)
[ "$v" = debian ] || fail "$(ct_conf 401): DISTRIBUTION is '$v'"
[ -s "$ROOT/templates/debian-13-x86_64/timestamp" ] || fail "no templates/debian-13-x86_64/timestamp"
[ ! -e "$ROOT/templates/debian-12-x86_64" ] || fail "templates/debian-12-x86_64 is still there"
grep -Eq '^ *base-files +amd64 +13\.' "$ROOT/templates/vzpackages" ||
	fail "templates/vzpackages does not list base-files 13: $(grep base-files "$ROOT/templates/vzpackages")"
grep -q '^Suites: trixie$' "$ROOT/etc/apt/sources.list.d/vzpkg.sources" ||
	fail "apt's sources do not name trixie: $(cat "$ROOT/etc/apt/sources.list.d/vzpkg.sources")"
[ ! -e "$(ct_private 401).vzpkg-snapshot" ] || fail "the snapshot was left behind"
# the changed conffile is kept, the new one beside it, and the summary says so
grep -qx '# local change' "$ROOT/etc/sudoers" || fail "the upgrade did not keep the changed /etc/sudoers"
if [ -e "$ROOT/etc/sudoers.dpkg-dist" ]; then
	grep -q '^  kept the changed /etc/sudoers; ' "$OUT" || fail "the summary does not say /etc/sudoers was kept: $(cat "$OUT")"
fi
exp="pre-upgrade-hn 12
pre-upgrade 12
post-upgrade-hn 13
post-upgrade 13"
got=$(cat "$ROOT$HOOKS_RAN" 2>/dev/null || true)
[ "$got" = "$exp" ] || fail "the hooks ran as
$got
expected
$exp"

# dpkg's own view, inside the booted container, and the boot itself
lxc_boot 401 "$ROOT"
wait_running 401
audit=$(in_ct 401 dpkg --audit) || fail "dpkg --audit failed in the container"
[ -z "$audit" ] || fail "dpkg --audit in the upgraded container: $audit"
v=$(in_ct 401 cat /etc/debian_version)
say "container 401 booted to 'running' as Debian $v"
lxc_shutdown 401
ct_no_leftovers
say "ok: debian-12-x86_64 upgraded to debian-13-x86_64 in place and booted"
