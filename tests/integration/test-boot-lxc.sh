#!/bin/bash
# heavy
# Caches that boot: a cache of the test repository with systemd-sysv,
# openssh-server and dbus, whose post-install hook plants SSH host keys, a
# machine-id and a D-Bus machine-id, holds none of them; two containers
# made from it by create ct each get a host name (/etc/hostname, HOSTNAME in
# the config, a 127.0.1.1 line in /etc/hosts), an /etc/resolv.conf and SSH
# host keys of their own. Each is then started by LXC with its own init:
# systemctl is-system-running must say "running", sshd must answer on the
# container's loopback with the container's own host key (different in the
# two), and the host name must be the one create ct wrote. lxc-stop leaves
# no process, mount or cgroup behind. Skips (77) without lxc-start.
# LXC containers (the second one booted): create ct --lxc writes an LXC
# container into a private LXC_PATH (rootfs, LXC's config, vzpkg.conf,
# templates/ beside it); started by lxc-start with that config unchanged it
# boots to "running"; status and list name it, with the vzctl-layout one in
# the same command, running with the init pid lxc-info reports; an LXC
# container without vzpkg.conf, and one on overlay storage, are refused in
# one line; destroy ct refuses the running one and of the stopped one
# leaves nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-boot.sh"

require_lxc
setup_repo_env systemd-sysv openssh-server dbus
setup_ct_env 2
LXCP=$TEST_TMP/lxcpath
config_set LXC_PATH "$LXCP"
config_set LXC_APPARMOR_PROFILE unconfined
# Whatever the hooks leave, per-machine state never reaches the cache.
add_hook post-install 'set -e
ssh-keygen -A -q
echo 0123456789abcdef0123456789abcdef >/etc/machine-id
mkdir -p /var/lib/dbus && cp /etc/machine-id /var/lib/dbus/machine-id
echo build-host >/etc/hostname'

run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "create cache $OST exited $RC$(vzpkg_log)"
check_cache_has_no_machine_state "$TEMPLATE/cache/$OST.tar.zst"

# Two containers: one named by its CTID, one by --hostname.
run_vzpkg create ct 201 202 --ostemplate "$OST" --hostname two.example
[ "$RC" != 0 ] && grep -q -- '--hostname' "$ERR" ||
	fail "create ct with two CTIDs and one --hostname: exit $RC, expected a usage error naming --hostname$(vzpkg_log)"
[ ! -e "$(ct_conf 201)" ] || fail "the refused create ct wrote $(ct_conf 201)"
create_cts "$OST" 201
run_vzpkg create ct 202 --ostemplate "$OST" --hostname two.example
[ "$RC" = 0 ] || fail "create ct 202 --hostname two.example exited $RC$(vzpkg_log)"
ct_no_leftovers
check_ct_identity 201 201
check_ct_identity 202 two.example
k1=$(cat "$(ct_private 201)/etc/ssh/ssh_host_ed25519_key.pub")
k2=$(cat "$(ct_private 202)/etc/ssh/ssh_host_ed25519_key.pub")
[ "$k1" != "$k2" ] || fail "containers 201 and 202 have the same SSH host key: $k1"

# An LXC container from the same cache, made by vzpkg: rootfs, LXC's config
# and vzpkg's record in the LXC path.
run_vzpkg create ct --lxc web --ostemplate "$OST" --hostname web.example
[ "$RC" = 0 ] || fail "create ct --lxc web exited $RC$(vzpkg_log)"
W=$LXCP/web
# LXC's own defaults for a system container, where LXC ships them
inc=/usr/share/lxc/config/$(cat "$TDIR/distribution").common.conf
[ -f "$inc" ] || inc=/usr/share/lxc/config/common.conf
if [ -f "$inc" ]; then
	grep -qx "lxc.include = $inc" "$W/config" || fail "$W/config does not include $inc: $(cat "$W/config")"
fi
grep -qx "lxc.rootfs.path = dir:$W/rootfs" "$W/config" || fail "$W/config has no lxc.rootfs.path = dir:$W/rootfs: $(cat "$W/config")"
for l in "lxc.uts.name = web.example" "lxc.net.0.type = empty" "lxc.apparmor.profile = unconfined" \
	"lxc.signal.halt = SIGRTMIN+3"; do
	grep -qx "$l" "$W/config" || fail "$W/config lacks '$l': $(cat "$W/config")"
done
grep -qx "OSTEMPLATE=\".$OST\"" "$W/vzpkg.conf" || fail "$W/vzpkg.conf does not name $OST: $(cat "$W/vzpkg.conf" 2>&1)"
grep -q '^VE_PRIVATE=' "$W/vzpkg.conf" && fail "$W/vzpkg.conf has a VE_PRIVATE (the rootfs is LXC's to name)"
[ -s "$W/templates/vzpackages" ] && [ -s "$W/templates/$OST/timestamp" ] ||
	fail "no templates/vzpackages or templates/$OST/timestamp beside vzpkg.conf: $(ls -R "$W/templates" 2>&1 | head)"
[ ! -e "$W/rootfs/templates" ] || fail "the LXC container's rootfs holds vzpkg's templates/"
[ "$(cat "$W/rootfs/etc/hostname")" = web.example ] || fail "rootfs/etc/hostname is '$(cat "$W/rootfs/etc/hostname")'"
[ -s "$W/rootfs/etc/ssh/ssh_host_ed25519_key" ] || fail "create ct --lxc made no SSH host key"
run_vzpkg create ct --lxc web --ostemplate "$OST"
[ "$RC" != 0 ] && grep -q 'exists already' "$ERR" || fail "a second create ct --lxc web: exit $RC, expected 'exists already'$(vzpkg_log)"

# LXC containers vzpkg does not manage: no vzpkg.conf; overlay storage.
mkdir -p "$LXCP/bare/rootfs" "$LXCP/ovl"
printf 'lxc.rootfs.path = dir:%s\nlxc.uts.name = bare\n' "$LXCP/bare/rootfs" >"$LXCP/bare/config"
printf 'lxc.rootfs.path = overlay:%s:%s\n' "$W/rootfs" "$LXCP/ovl/upper" >"$LXCP/ovl/config"
echo "OSTEMPLATE=\".$OST\"" >"$LXCP/ovl/vzpkg.conf"
run_vzpkg status bare
[ "$RC" = "$EXIT_CONFIG" ] && [ "$(grep -c '' "$ERR")" = 1 ] && grep -q "write $LXCP/bare/vzpkg.conf with OSTEMPLATE=" "$ERR" ||
	fail "status of an LXC container without vzpkg.conf: exit $RC, expected $EXIT_CONFIG and one line saying what to write$(vzpkg_log)"
run_vzpkg list lxc:ovl
[ "$RC" = "$EXIT_CONFIG" ] && [ "$(grep -c '' "$ERR")" = 1 ] && grep -q 'storage backend .* not supported' "$ERR" ||
	fail "list of an LXC container on overlay storage: exit $RC, expected $EXIT_CONFIG and one line$(vzpkg_log)"
rm -rf "$LXCP/bare" "$LXCP/ovl"

# Boot the vzctl-layout 201 (LXC config of lib-boot) and the LXC container
# with the config vzpkg wrote, each with its own init.
lxc_boot 201 "$(ct_private 201)"
lxc_start_written web web "$LXCP"
wait_running 201
wait_running web
check_booted 201 201
check_booted web web.example
[ "${SSH_KEY[201]}" != "${SSH_KEY[web]}" ] || fail "sshd of 201 and web answer with the same host key"
[ "${MACHINE_ID[201]}" != "${MACHINE_ID[web]}" ] || fail "201 and web booted with the same machine ID"

# Both kinds in one command, each running with the init LXC reports.
p201=$(lxc_init_pid 201)
pweb=$(lxc_init_pid web)
[ -n "$p201" ] && [ -n "$pweb" ] || fail "lxc-info reports no init pid (201: '$p201', web: '$pweb')"
run_vzpkg status 201 web
[ "$RC" = 0 ] || fail "status 201 web exited $RC$(vzpkg_log)"
for x in "201 $p201" "web $pweb"; do
	read -r id pid <<<"$x"
	[ "$(ct_block "$OUT" "$id")" = "container $id: up to date (running, init $pid)" ] ||
		fail "status 201 web: expected 'container $id: up to date (running, init $pid)'$(vzpkg_log)"
done
# Where vzctl is installed its status is asked too (a stand-in here): a
# container it calls running without any process on its private area is
# an error, not "stopped"; one it calls down is still found by the scan.
fake=$TEST_TMP/fake-vzctl
printf '#!/bin/sh\necho "CTID $2 exist mounted running"\n' >"$fake"
chmod 755 "$fake"
VZPKG_VZCTL=$fake run_vzpkg status 202
[ "$RC" = "$EXIT_CONFIG" ] && grep -q "202: vzctl says it runs" "$ERR" ||
	fail "status 202 with a vzctl saying 'running': exit $RC, expected $EXIT_CONFIG and 'vzctl says it runs'$(vzpkg_log)"
printf '#!/bin/sh\necho "CTID $2 exist unmounted down"\n' >"$fake"
VZPKG_VZCTL=$fake run_vzpkg status 201
[ "$RC" = 0 ] && [ "$(ct_block "$OUT" 201)" = "container 201: up to date (running, init $p201)" ] ||
	fail "status 201 with a vzctl saying 'down': exit $RC, expected 201 running (init $p201) by the scan$(vzpkg_log)"
run_vzpkg status --all --json
[ "$RC" = 0 ] || fail "status --all --json exited $RC$(vzpkg_log)"
facts=$(python3 -c 'import json, sys
for o in json.load(open(sys.argv[1])): print(o["ct"], o["kind"], o["running"], o["init_pid"])' "$OUT") ||
	fail "status --all --json: not the expected JSON$(vzpkg_log)"
[ "$facts" = "201 vzctl True $p201
202 vzctl False None
web lxc True $pweb" ] || fail "status --all --json: kind/running/init_pid are
$facts
expected 201 running (init $p201), 202 stopped, web (lxc) running (init $pweb)"
# the kind and the init are vzpkg's own: in --json (the text is vztt's layout)
run_vzpkg --json list web
[ "$RC" = 0 ] && python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))[0]
sys.exit(not (d["kind"] == "lxc" and d["running"] is True and d["init_pid"] == int(sys.argv[2])))' "$OUT" "$pweb" ||
	fail "list --json web: exit $RC, expected kind lxc, running, init_pid $pweb$(vzpkg_log)"
run_vzpkg destroy ct web
[ "$RC" != 0 ] && grep -q "running (init $pweb)" "$ERR" || fail "destroy ct of the running web: exit $RC, expected a refusal$(vzpkg_log)"
[ -f "$W/config" ] && [ -f "$W/vzpkg.conf" ] && [ -d "$W/rootfs/etc" ] || fail "the refused destroy ct web removed something"

lxc_shutdown 201
lxc_shutdown web
run_vzpkg --json list lxc:web
[ "$RC" = 0 ] && python3 -c 'import json, sys
o = json.load(open(sys.argv[1]))[0]
sys.exit(not (o["running"] is False and o["init_pid"] is None and o["kind"] == "lxc"))' "$OUT" ||
	fail "list --json lxc:web after lxc-stop: expected running false, init_pid null, kind lxc$(vzpkg_log)"
run_vzpkg destroy ct web
[ "$RC" = 0 ] || fail "destroy ct web (stopped) exited $RC$(vzpkg_log)"
left=$(find "$LXCP" -mindepth 1 -maxdepth 1 ! -name web.log)
[ -z "$left" ] || fail "destroy ct web left behind: $left"
[ "$(lxc-ls -P "$LXCP" 2>&1)" = "" ] || fail "LXC still knows containers in $LXCP: $(lxc-ls -P "$LXCP" 2>&1)"
ct_no_leftovers
say "ok: a vzctl-layout container and an LXC container made by vzpkg booted to 'running' with their own SSH host keys and names; status and list saw both running"
