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
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-boot.sh"

require_lxc
setup_repo_env systemd-sysv openssh-server dbus
setup_ct_env 2
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

# Boot both at once, each with its own init.
lxc_boot 201 "$(ct_private 201)"
lxc_boot 202 "$(ct_private 202)"
wait_running 201
wait_running 202
check_booted 201 201
check_booted 202 two.example
[ "${SSH_KEY[201]}" != "${SSH_KEY[202]}" ] || fail "sshd of 201 and 202 answer with the same host key"
[ "${MACHINE_ID[201]}" != "${MACHINE_ID[202]}" ] || fail "201 and 202 booted with the same machine ID"
lxc_shutdown 201
lxc_shutdown 202
ct_no_leftovers
say "ok: two containers booted to 'running' with their own SSH host keys and names"
