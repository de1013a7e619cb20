# lib-boot.sh - helpers of the boot tests (test-boot-lxc*.sh), sourced
# after lib.sh: containers made by vzpkg create ct, started by LXC with
# their own init from a private LXC path below $TEST_TMP (never the host's
# default one), checked with lxc-attach, stopped, and checked for leftovers.

declare -A SSH_KEY=() MACHINE_ID=()
# Containers started from a config vzpkg wrote (lxc_start_written): their
# LXC path and name; the others are _lxc_name ID in _lxc_dir.
declare -A LXC_PATH_OF=() LXC_NAME_OF=()
BOOT_TIMEOUT=${VZPKG_TEST_BOOT_TIMEOUT:-180}

# require_lxc: root, namespaces, the binary, and LXC's tools (skip without).
require_lxc() {
	require_privileges
	require_vzpkg
	local t
	for t in lxc-start lxc-attach lxc-stop lxc-info; do
		command -v "$t" >/dev/null || skip "$t is not installed (apt-get install lxc)"
	done
}

_lxc_name() { echo "vzpkg-boot-$$-$1"; }
_lxc_dir() { echo "$TEST_TMP/lxc"; }
# ct_lxc_name ID, ct_lxc_dir ID: LXC's name and LXC path of container ID.
ct_lxc_name() { echo "${LXC_NAME_OF[$1]:-$(_lxc_name "$1")}"; }
ct_lxc_dir() { echo "${LXC_PATH_OF[$1]:-$(_lxc_dir)}"; }

# in_ct ID CMD...: run CMD in the running container ID (10 s at most).
in_ct() {
	local id=$1
	shift
	timeout -k 5 10 lxc-attach -P "$(ct_lxc_dir "$id")" -n "$(ct_lxc_name "$id")" --clear-env \
		-v PATH=/usr/sbin:/usr/bin:/sbin:/bin -v LC_ALL=C -- "$@"
}

# _lxc_state NAME [LXCPATH]
_lxc_state() { lxc-info -P "${2:-$(_lxc_dir)}" -n "$1" -s 2>/dev/null | awk '{ print $2 }'; }

# _lxc_kill NAME [LXCPATH]: cleanup: a container still running is killed.
_lxc_kill() {
	local dir=${2:-$(_lxc_dir)}
	[ -d "$dir/$1" ] || return 0
	[ "$(_lxc_state "$1" "$dir")" = STOPPED ] || lxc-stop -P "$dir" -n "$1" -k >/dev/null 2>&1
}

# lxc_start_written ID NAME LXCPATH: start the LXC container NAME of
# LXCPATH with the config vzpkg create ct --lxc wrote, unchanged (its log
# in LXCPATH/NAME.log); known as ID to in_ct, wait_running, lxc_shutdown.
lxc_start_written() {
	local id=$1 name=$2 dir=$3
	LXC_NAME_OF[$id]=$name
	LXC_PATH_OF[$id]=$dir
	at_exit "_lxc_kill $name $dir"
	lxc-start -P "$dir" -n "$name" -d -o "$dir/$name.log" -l WARN ||
		fail "lxc-start of container $id ($dir/$name) failed: $(tail -n 20 "$dir/$name.log" 2>/dev/null)"
}

# lxc_init_pid ID: the host PID of container ID's init, as lxc-info says.
lxc_init_pid() { lxc-info -P "$(ct_lxc_dir "$1")" -n "$(ct_lxc_name "$1")" -p -H 2>/dev/null; }

# lxc_boot ID ROOTFS: start the container ID from ROOTFS with /sbin/init,
# no network but its loopback, unconfined, its UTS name "lxc-ID" (the init
# must set the one in /etc/hostname).
lxc_boot() {
	local id=$1 root=$2 name dir
	name=$(_lxc_name "$id")
	dir=$(_lxc_dir)
	mkdir -p "$dir/$name"
	cat >"$dir/$name/config" <<-EOF
		lxc.uts.name = lxc-$id
		lxc.rootfs.path = dir:$root
		lxc.init.cmd = /sbin/init
		lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
		lxc.net.0.type = empty
		lxc.apparmor.profile = unconfined
		# what LXC's own common.conf drops for every container: a container
		# loads no kernel modules (systemd-modules-load then skips itself)
		lxc.cap.drop = sys_module mac_admin mac_override sys_time sys_rawio
		lxc.signal.halt = SIGRTMIN+3
		lxc.signal.reboot = SIGTERM
		lxc.tty.max = 1
		lxc.pty.max = 16
		lxc.log.file = $dir/$name.log
		lxc.log.level = WARN
		lxc.console.logfile = $dir/$name.console
	EOF
	at_exit "_lxc_kill $name"
	lxc-start -P "$dir" -n "$name" -d ||
		fail "lxc-start of container $id failed: $(tail -n 20 "$dir/$name.log" 2>/dev/null)"
}

# wait_running ID: systemctl is-system-running says "running" within
# $BOOT_TIMEOUT seconds; otherwise fail with the failed units and the end
# of the journal.
wait_running() {
	local id=$1 state= i
	for ((i = 0; i < BOOT_TIMEOUT; i++)); do
		state=$(in_ct "$id" systemctl is-system-running 2>/dev/null) || true
		case $state in
		running) return 0 ;;
		degraded | maintenance | stopping | offline) break ;;
		esac
		sleep 1
	done
	fail "container $id: systemctl is-system-running says '${state:-nothing}' after ${i}s
--- systemctl --failed ---
$(in_ct "$id" systemctl --failed --no-pager --no-legend 2>&1)
--- journal (tail) ---
$(in_ct "$id" journalctl -b --no-pager -q -p warning 2>&1 | tail -n 30)
--- lxc log ---
$(tail -n 20 "$(ct_lxc_dir "$id")/$(ct_lxc_name "$id").log" 2>/dev/null)"
}

# check_booted ID HOST: in the running container: the host name is HOST,
# /etc/resolv.conf exists, systemd made a machine ID, and sshd answers on
# 127.0.0.1:22 with the ed25519 host key create ct put in the private area
# (left in SSH_KEY[ID]; the machine ID in MACHINE_ID[ID]).
check_booted() {
	local id=$1 want=$2 h mid scan file
	h=$(in_ct "$id" hostname) || fail "container $id: hostname failed"
	[ "$h" = "$want" ] || fail "container $id: booted with host name '$h', expected '$want'"
	in_ct "$id" test -s /etc/resolv.conf || fail "container $id: booted without /etc/resolv.conf"
	mid=$(in_ct "$id" cat /etc/machine-id) || fail "container $id: no /etc/machine-id"
	[[ $mid =~ ^[0-9a-f]{32}$ ]] || fail "container $id: /etc/machine-id is '$mid' after boot"
	[ "$mid" != 0123456789abcdef0123456789abcdef ] || fail "container $id: booted with the machine-id of the build"
	MACHINE_ID[$id]=$mid
	scan=$(in_ct "$id" ssh-keyscan -T 5 -t ed25519 -p 22 127.0.0.1 2>/dev/null | awk '$2 == "ssh-ed25519" { print $2, $3 }')
	[ -n "$scan" ] || fail "container $id: sshd does not answer on 127.0.0.1:22 (ssh-keyscan found no ed25519 key)
$(in_ct "$id" systemctl status ssh --no-pager 2>&1 | tail -n 15)"
	file=$(in_ct "$id" cat /etc/ssh/ssh_host_ed25519_key.pub | awk '{ print $1, $2 }')
	[ "$scan" = "$file" ] || fail "container $id: sshd answers with '$scan', its key file holds '$file'"
	SSH_KEY[$id]=$scan
}

# check_ct_identity ID HOST: what create ct wrote into container ID, seen
# from the host before it boots: /etc/hostname and HOSTNAME= are HOST,
# /etc/hosts maps 127.0.1.1 to HOST, /etc/resolv.conf holds the host's
# non-loopback nameservers, the SSH host keys exist (private ones 0600)
# and /etc/machine-id is empty (systemd makes it at first boot).
check_ct_identity() {
	local id=$1 want=$2 root v t ns
	root=$(ct_private "$id")
	v=$(cat "$root/etc/hostname" 2>/dev/null) || fail "container $id: no /etc/hostname"
	[ "$v" = "$want" ] || fail "container $id: /etc/hostname is '$v', expected '$want'"
	v=$(ct_conf_get "$id" HOSTNAME)
	[ "$v" = "$want" ] || fail "$(ct_conf "$id"): HOSTNAME is '$v', expected '$want'"
	grep -Eq "^127\\.0\\.1\\.1[[:space:]]+$want([[:space:]]|\$)" "$root/etc/hosts" ||
		fail "container $id: /etc/hosts has no '127.0.1.1 $want' line: $(cat "$root/etc/hosts")"
	[ -f "$root/etc/resolv.conf" ] && [ ! -L "$root/etc/resolv.conf" ] ||
		fail "container $id: no /etc/resolv.conf file"
	for ns in $(awk '$1 == "nameserver" && $2 !~ /^127\./ && $2 != "::1" { print $2 }' /etc/resolv.conf 2>/dev/null); do
		grep -qx "nameserver $ns" "$root/etc/resolv.conf" ||
			fail "container $id: /etc/resolv.conf lacks the host's nameserver $ns: $(cat "$root/etc/resolv.conf")"
	done
	grep -Eq '^nameserver (127\.|::1$)' "$root/etc/resolv.conf" &&
		fail "container $id: /etc/resolv.conf names a loopback nameserver: $(cat "$root/etc/resolv.conf")"
	for t in rsa ecdsa ed25519; do
		[ -s "$root/etc/ssh/ssh_host_${t}_key" ] && [ -s "$root/etc/ssh/ssh_host_${t}_key.pub" ] ||
			fail "container $id: create ct made no SSH $t host key"
		v=$(stat -c %a "$root/etc/ssh/ssh_host_${t}_key")
		[ "$v" = 600 ] || fail "container $id: ssh_host_${t}_key has mode $v, expected 600"
	done
	[ -f "$root/etc/machine-id" ] && [ ! -s "$root/etc/machine-id" ] ||
		fail "container $id: /etc/machine-id is missing or not empty before the first boot"
}

# check_cache_has_no_machine_state CACHE: the archive holds no SSH host key,
# no D-Bus machine-id, no /etc/hostname, and an empty /etc/machine-id.
check_cache_has_no_machine_state() {
	local list=$TEST_TMP/cache.list bad size
	tar --zstd -tvf "$1" >"$list" 2>"$list.err" || fail "cannot list $1: $(tail -n 5 "$list.err")"
	bad=$(grep -E '(^|[ /])(etc/ssh/ssh_host_|var/lib/dbus/machine-id|etc/hostname$|var/lib/systemd/random-seed|var/lib/systemd/credential.secret)' "$list" || true)
	[ -z "$bad" ] || fail "the cache $1 holds per-machine state: $bad"
	size=$(awk '$NF ~ /(^|\/)etc\/machine-id$/ { print $3 }' "$list")
	[ "$size" = 0 ] || fail "the cache's /etc/machine-id is missing or not empty (size '${size}')"
}

# lxc_shutdown ID: a clean shutdown of container ID; then it is STOPPED,
# and no cgroup of it is left.
lxc_shutdown() {
	local name dir left
	name=$(ct_lxc_name "$1")
	dir=$(ct_lxc_dir "$1")
	lxc-stop -P "$dir" -n "$name" -t 60 ||
		fail "container $1: lxc-stop failed: $(tail -n 20 "$dir/$name.log" 2>/dev/null)"
	[ "$(_lxc_state "$name" "$dir")" = STOPPED ] || fail "container $1: state $(_lxc_state "$name" "$dir") after lxc-stop"
	left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "*$name*" 2>/dev/null)
	[ -z "$left" ] || fail "container $1: cgroups left after lxc-stop: $left"
}
