#!/bin/bash
# heavy
# The overlay layout of LXC containers (docs/internals/containers.md,
# "Shared trees"): with CT_LAYOUT=overlay (and with --layout overlay) two
# containers made from one cache share one read-only tree of it, unpacked
# once beside the cache (one tree directory; a file of it has one inode,
# seen through both containers' merged views by vzpkg exec); each container's
# own layer (delta0) holds only what create ct wrote (its host name, hosts);
# LXC's config names overlay:TREE/rootfs:delta0. An update of one container
# changes its own layer only: the tree (every file's checksum) and the other
# container's layer stay byte for byte, the other still has the old version;
# a failed update (post-update hook) puts the container's layer back as it
# was, byte for byte.
# A symbolic link planted in a container's layer (what a tenant controls)
# pointing out of the root is not followed by vzpkg's host-side writes.
# LXC starts a container from the config vzpkg wrote and sees the files of
# its layer; vzpkg refuses to work on the running one in one line. destroy
# ct removes the container's directory and leaves the tree; clean removes
# the tree once no container names it. A partial tree a killed maker left
# is removed by the next maker. Where the overlay cannot be mounted, create
# ct copies the cache and -v says why. No mount is left behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-boot.sh"

require_lxc
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || skip "no overlayfs in this kernel"
setup_lc_env
LXCP=$TEST_TMP/lxcpath
config_set LXC_PATH "$LXCP"
config_set LXC_APPARMOR_PROFILE unconfined
config_set CT_LAYOUT overlay

run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "create cache $OST exited $RC$(vzpkg_log)"

# --- two containers, one tree ------------------------------------------------------
# what a killed maker of a tree leaves goes when the next one makes it
STALE=$TEMPLATE/cache/$OST.tree.0123456789abcdef.tmp.99999999
mkdir -p "$STALE/rootfs/etc"
run_vzpkg create ct --lxc a --ostemplate "$OST"
[ "$RC" = 0 ] || fail "create ct --lxc a (CT_LAYOUT=overlay) exited $RC$(vzpkg_log)"
[ ! -e "$STALE" ] || fail "the partial tree $STALE of a killed maker was left"
config_set CT_LAYOUT copy
run_vzpkg -v create ct --lxc b --ostemplate "$OST" --layout overlay
[ "$RC" = 0 ] || fail "create ct --lxc b --layout overlay exited $RC$(vzpkg_log)"
assert_no_leftovers
mapfile -t TREES < <(find "$TEMPLATE/cache" -maxdepth 1 -name "$OST.tree.*" -type d)
[ "${#TREES[@]}" = 1 ] || fail "expected one shared tree of $OST beside the cache, found: ${TREES[*]:-none}"
TREE=${TREES[0]}
[[ $(basename "$TREE") =~ ^$OST\.tree\.[0-9a-f]{16}$ ]] || fail "the tree's name $(basename "$TREE") is not $OST.tree.<16 hex>"
want=$(sha256sum "$TEMPLATE/cache/$OST.tar.zst" | cut -c1-16)
[ "${TREE##*.}" = "$want" ] || fail "the tree is named ${TREE##*.}, not by the cache's SHA-256 ($want)"
[ -d "$TREE/rootfs/usr/bin" ] && [ -s "$TREE/templates/vzpackages" ] && [ ! -e "$TREE/rootfs/templates" ] ||
	fail "the tree does not hold rootfs/ and templates/ side by side: $(ls "$TREE" "$TREE/rootfs" 2>&1 | head)"
for c in a b; do
	grep -qx "lxc.rootfs.path = overlay:$TREE/rootfs:$LXCP/$c/delta0" "$LXCP/$c/config" ||
		fail "$LXCP/$c/config does not name overlay:$TREE/rootfs:$LXCP/$c/delta0: $(grep rootfs "$LXCP/$c/config")"
	[ "$(cat "$LXCP/$c/delta0/etc/hostname")" = "$c" ] || fail "container $c: delta0/etc/hostname is not '$c'"
	n=$(find "$LXCP/$c/delta0" -type f | wc -l)
	[ "$n" -le 10 ] || fail "container $c's own layer holds $n files after create ct, expected a few: $(find "$LXCP/$c/delta0" -type f | head)"
	[ -s "$LXCP/$c/templates/vzpackages" ] && [ -s "$LXCP/$c/templates/$OST/timestamp" ] ||
		fail "container $c: no templates/vzpackages or timestamp beside vzpkg.conf"
done
grep -q "$OST" "$TREE/rootfs/etc/hostname" 2>/dev/null && fail "create ct wrote a host name into the shared tree"
[ ! -e "$TREE/rootfs/etc/hostname" ] || fail "the shared tree has an /etc/hostname: $(cat "$TREE/rootfs/etc/hostname")"
ino=$(stat -c %i "$TREE/rootfs/usr/bin/dpkg")
for c in a b; do
	run_vzpkg exec "$c" -- stat -c %i /usr/bin/dpkg
	[ "$RC" = 0 ] && [ "$(cat "$OUT")" = "$ino" ] ||
		fail "container $c: /usr/bin/dpkg has inode '$(cat "$OUT")' (exit $RC), not the tree's $ino$(vzpkg_log)"
done
assert_no_leftovers

# Where the overlay cannot be mounted (here: an LXC path that mount options
# cannot carry), create ct copies the cache and -v says why.
COMMA=$TEST_TMP/lxc,path
config_set LXC_PATH "$COMMA"
run_vzpkg -v create ct --lxc c --ostemplate "$OST" --layout overlay
[ "$RC" = 0 ] || fail "create ct --lxc c --layout overlay in $COMMA exited $RC$(vzpkg_log)"
grep -q "container c: cannot mount its overlay .*; a full copy instead" "$ERR" ||
	fail "create ct of c did not say why it copied$(vzpkg_log)"
grep -qx "lxc.rootfs.path = dir:$COMMA/c/rootfs" "$COMMA/c/config" && [ -x "$COMMA/c/rootfs/usr/bin/dpkg" ] &&
	[ ! -e "$COMMA/c/delta0" ] || fail "the fallback of c is not a full copy: $(grep rootfs "$COMMA/c/config")"
run_vzpkg destroy ct c
[ "$RC" = 0 ] && [ ! -e "$COMMA/c" ] || fail "destroy ct c: exit $RC$(vzpkg_log)"
config_set LXC_PATH "$LXCP"
assert_no_leftovers

# --- an update touches the container's own layer only ----------------------------------
BUMP=
for p in hostname gzip debianutils sed; do
	[ -n "$(repo_field "$REPO" "$p" Filename)" ] && grep -q "^ $p " "$TREE/templates/vzpackages" && BUMP=$p && break
done
[ -n "$BUMP" ] || fail "none of hostname gzip debianutils sed is in the cache and the repository"
OLDV=$(repo_field "$REPO" "$BUMP" Version)
repo_bump_package "$REPO" "$BUMP" +vzt1
republish_repo "$REPO"
tree_manifest "$TREE" "$TEST_TMP/tree.before" content
tree_manifest "$LXCP/b/delta0" "$TEST_TMP/b.before" content
# the tenant's link out of the root where vzpkg writes on the host side
mkdir -p "$LXCP/a/delta0/usr/sbin"
ln -s "$TEST_TMP/host-owned" "$LXCP/a/delta0/usr/sbin/policy-rc.d"
# a failed update is rolled back: the container's layer as it was
add_hook post-update 'if [ -e /etc/fail-here ]; then echo "vzt: failing on purpose" >&2; exit 5; fi'
echo "make post-update fail" >"$LXCP/a/delta0/etc/fail-here"
tree_manifest "$LXCP/a/delta0" "$TEST_TMP/a.before" content
run_vzpkg update a
[ "$RC" = "$EXIT_HOOK" ] && [[ $(ct_block "$OUT" a) == *"; rolled back" ]] ||
	fail "update a with a failing post-update: exit $RC, expected $EXIT_HOOK and 'rolled back'$(vzpkg_log)"
assert_no_leftovers
tree_manifest "$LXCP/a/delta0" "$TEST_TMP/a.after" content
cmp -s "$TEST_TMP/a.before" "$TEST_TMP/a.after" ||
	fail "the rolled-back update left container a's layer changed: $(diff_lines "$TEST_TMP/a.before" "$TEST_TMP/a.after")"
[ ! -e "$LXCP/a/delta0.vzpkg-snapshot" ] || fail "the roll-back left $LXCP/a/delta0.vzpkg-snapshot"
rm "$LXCP/a/delta0/etc/fail-here"
run_vzpkg update a
[ "$RC" = 0 ] || fail "update a exited $RC$(vzpkg_log)"
assert_no_leftovers
[ ! -e "$TEST_TMP/host-owned" ] || fail "vzpkg followed the planted link out of container a's root: $TEST_TMP/host-owned exists"
run_vzpkg exec a -- dpkg-query -W -f '${Version}' "$BUMP"
[ "$(cat "$OUT")" = "$OLDV+vzt1" ] || fail "container a: $BUMP is '$(cat "$OUT")' after update, expected $OLDV+vzt1$(vzpkg_log)"
grep -q "^Package: $BUMP\$" "$LXCP/a/delta0/var/lib/dpkg/status" || fail "container a's layer has no dpkg status with $BUMP"
run_vzpkg exec b -- dpkg-query -W -f '${Version}' "$BUMP"
[ "$(cat "$OUT")" = "$OLDV" ] || fail "container b: $BUMP is '$(cat "$OUT")' after the update of a, expected $OLDV$(vzpkg_log)"
tree_manifest "$TREE" "$TEST_TMP/tree.after" content
cmp -s "$TEST_TMP/tree.before" "$TEST_TMP/tree.after" ||
	fail "the update of a changed the shared tree: $(diff_lines "$TEST_TMP/tree.before" "$TEST_TMP/tree.after")"
tree_manifest "$LXCP/b/delta0" "$TEST_TMP/b.after" content
cmp -s "$TEST_TMP/b.before" "$TEST_TMP/b.after" ||
	fail "the update of a changed container b's layer: $(diff_lines "$TEST_TMP/b.before" "$TEST_TMP/b.after")"

# --- LXC starts it from the config vzpkg wrote ------------------------------------------
echo "only in b" >"$LXCP/b/delta0/etc/vzt-which-ct"
LXC_NAME_OF[b]=b
LXC_PATH_OF[b]=$LXCP
at_exit "_lxc_kill b $LXCP"
lxc-start -P "$LXCP" -n b -d -o "$LXCP/b.log" -l WARN -- /bin/sleep 600 ||
	fail "lxc-start of the overlay container b failed: $(tail -n 20 "$LXCP/b.log" 2>/dev/null)"
for _ in $(seq 50); do [ "$(_lxc_state b "$LXCP")" = RUNNING ] && break; sleep 0.2; done
[ "$(in_ct b cat /etc/vzt-which-ct /etc/hostname)" = "only in b
b" ] || fail "the started container b does not see its own layer: $(in_ct b cat /etc/vzt-which-ct /etc/hostname 2>&1)"
run_vzpkg status b
[ "$RC" = "$EXIT_CONFIG" ] && [ "$(grep -c '' "$ERR")" = 1 ] &&
	grep -q "container b uses the overlay layout: working on a running container is not supported yet" "$ERR" ||
	fail "status of the running overlay container b: exit $RC, expected $EXIT_CONFIG and one line$(vzpkg_log)"
lxc-stop -P "$LXCP" -n b -k >/dev/null 2>&1 || fail "lxc-stop b failed"

# --- destroy leaves the tree, clean removes it when unused --------------------------------
run_vzpkg destroy ct a
[ "$RC" = 0 ] && [ ! -e "$LXCP/a" ] || fail "destroy ct a: exit $RC, $LXCP/a left: $(ls "$LXCP/a" 2>&1)$(vzpkg_log)"
[ -d "$TREE/rootfs/usr" ] || fail "destroy ct a removed the shared tree"
run_vzpkg clean
[ "$RC" = 0 ] && [ -d "$TREE/rootfs/usr" ] || fail "clean removed the tree container b uses (exit $RC)$(vzpkg_log)"
run_vzpkg destroy ct b
[ "$RC" = 0 ] && [ ! -e "$LXCP/b" ] || fail "destroy ct b: exit $RC$(vzpkg_log)"
run_vzpkg clean
[ "$RC" = 0 ] && [ ! -e "$TREE" ] && grep -q "removed $TREE (no container uses it)" "$OUT" ||
	fail "clean did not remove the unused tree $TREE (exit $RC)$(vzpkg_log)"
[ -f "$TEMPLATE/cache/$OST.tar.zst" ] || fail "clean removed the cache itself"
assert_no_leftovers
say "ok"
