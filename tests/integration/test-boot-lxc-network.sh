#!/bin/bash
# heavy
# The shipped Debian templates boot: debian-12-x86_64 (and debian-13-x86_64
# when the tree ships it), each built from the real mirror named by the
# host's apt sources, hold no per-machine state; two containers of each,
# made by create ct, started by LXC with their own init, reach
# systemctl is-system-running = "running", with sshd answering on their
# loopback with host keys no other container has, the host name create ct
# wrote, a resolv.conf and machine IDs of their own, and nothing pending
# for vzpkg status right after create ct. Skips (77) without
# lxc-start or when the mirror does not answer within 10 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-boot.sh"

require_lxc
mirror=$(host_mirrors | sed -n 1p)
[ -n "$mirror" ] || skip "the host's apt sources name no $SUITE mirror"
mirror_reachable || skip "the host's apt mirror $mirror does not answer within 10 s"
unset DEBIAN_MIRROR DEBIAN_SECURITY_MIRROR # this test is about the host's sources

make_env
setup_ct_env 2
[ -d "$VZPKG_SRC/templates" ] || fail "no shipped templates in $VZPKG_SRC/templates"
cp -a "$VZPKG_SRC/templates/." "$TEMPLATE/"
OSTS=(debian-12-x86_64)
[ ! -f "$TEMPLATE/debian/13/x86_64/config/os/default/packages" ] || OSTS+=(debian-13-x86_64)

n=300
declare -A SEEN_KEY=() SEEN_MID=()
for OST in "${OSTS[@]}"; do
	VZPKG_TEST_TIMEOUT=${VZPKG_TEST_TIMEOUT:-1500} run_vzpkg create cache "$OST"
	[ "$RC" = 0 ] || fail "vzpkg create cache $OST exited $RC$(vzpkg_log)"
	check_cache_has_no_machine_state "$TEMPLATE/cache/$OST.tar.zst"
	ids=($((n + 1)) $((n + 2)))
	n=$((n + 100))
	for id in "${ids[@]}"; do
		run_vzpkg create ct "$id" --ostemplate "$OST" --hostname "boot-$id.example"
		[ "$RC" = 0 ] || fail "create ct $id --ostemplate $OST exited $RC$(vzpkg_log)"
		check_ct_identity "$id" "boot-$id.example"
		# made from a fresh cache: nothing pending (the cache has what apt would pick)
		run_vzpkg status "$id"
		[ "$RC" = 0 ] || fail "status $id, a container made from a fresh $OST cache, exited $RC (pending updates?)$(vzpkg_log)"
		lxc_boot "$id" "$(ct_private "$id")"
	done
	for id in "${ids[@]}"; do
		wait_running "$id"
		check_booted "$id" "boot-$id.example"
		[ -z "${SEEN_KEY[${SSH_KEY[$id]}]:-}" ] ||
			fail "containers ${SEEN_KEY[${SSH_KEY[$id]}]} and $id answer with the same SSH host key"
		[ -z "${SEEN_MID[${MACHINE_ID[$id]}]:-}" ] ||
			fail "containers ${SEEN_MID[${MACHINE_ID[$id]}]} and $id have the same machine ID"
		SEEN_KEY[${SSH_KEY[$id]}]=$id
		SEEN_MID[${MACHINE_ID[$id]}]=$id
		say "$OST: container $id booted to 'running'; sshd answers with its own key"
	done
	for id in "${ids[@]}"; do lxc_shutdown "$id"; done
	ct_no_leftovers
done
say "ok: ${OSTS[*]} boot to 'running' with working SSH, nothing pending"
