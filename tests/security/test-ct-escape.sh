#!/bin/bash
# ctest: heavy
# A container's root tries the classic escapes, from `vzpkg exec` and from
# code of its own that vzpkg runs during an admin's transaction (the
# tenant's /usr/bin/dpkg, wrapped; a planted /usr/local/sbin/dpkg): device
# nodes of the host's disk (made in the container, or planted in the private
# area from outside), mounting, writing /proc/sys and /proc/sysrq-trigger,
# loading a kernel module, new namespaces, vzpkg's own binary through
# /proc/1/exe, host processes and a host network service. Each must be
# refused, the host must be untouched (core_pattern, mount table, cgroups,
# a decoy directory, the vzpkg binary), and the admin's work must still
# succeed. Then: a cgroup left by a vzpkg killed with SIGKILL is swept, and
# a command that hangs in the container is killed after RUN_TIMEOUT and the
# container rolled back.
. "$(dirname "$0")/../integration/lib.sh"

BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || skip "busybox-static is not installed (the attacks use its applets)"

setup_lc_env
setup_ct_env 1
create_cts "$OST" 101
ROOT=$(ct_private 101)

# --- what the tenant plants --------------------------------------------------------
mkdir -p "$ROOT/opt/evil" "$ROOT/usr/local/sbin" "$ROOT/mnt"
cp "$BUSYBOX" "$ROOT/opt/evil/busybox"
head -c 4096 /dev/urandom >"$ROOT/opt/evil/fake.ko"
# The device the private area lives on, as the container's own mountinfo
# tells it; the tenant's copy of its node, as a restored backup may hold.
HOSTDEV=$(stat -c '%d' "$ROOT")
MAJ=$((HOSTDEV >> 8 & 0xfff))
MIN=$(((HOSTDEV & 0xff) | (HOSTDEV >> 12 & 0xfff00)))
mknod "$ROOT/hostdisk" b "$MAJ" "$MIN"
DECOY=$TEST_TMP/host-decoy
mkdir -p "$DECOY"
echo "host data" >"$DECOY/data"
tree_manifest "$DECOY" "$TEST_TMP/decoy.before" content
cat >"$ROOT/opt/evil/env" <<EOF
HOSTPID=$$
PORT=$PORT
DECOY=$DECOY
EOF
cat >"$ROOT/opt/evil/attack" <<'EOF'
#!/bin/sh
# The tenant's code. One line per route: "NAME refused" or "NAME OPEN".
. /opt/evil/env
B=/opt/evil/busybox
out=/root/escape.$1.log
: >"$out"
try() {
	name=$1
	shift
	if "$@" >/tmp/try.out 2>&1; then echo "$name OPEN" >>"$out"; else echo "$name refused" >>"$out"; fi
}
# refused only with EPERM (not because the input was bad)
try_eperm() {
	name=$1
	shift
	"$@" >/tmp/try.out 2>&1
	if grep -q 'not permitted' /tmp/try.out; then echo "$name refused" >>"$out"; else echo "$name OPEN $(head -c 200 /tmp/try.out)" >>"$out"; fi
}
dev=$(awk '$5 == "/" { print $3; exit }' /proc/self/mountinfo)
try mknod_host_disk $B mknod /root/hd b "${dev%:*}" "${dev#*:}"
try mknod_mem $B mknod /root/mem c 1 1
try read_planted_disk_node $B dd if=/hostdisk of=/dev/null bs=512 count=1
try mount_planted_disk $B mount -o ro /hostdisk /mnt
try mount_tmpfs $B mount -t tmpfs none /mnt
try mount_proc $B mount -t proc proc /mnt
try bind_mount $B mount --bind / /mnt
try core_pattern sh -c 'echo "|/bin/sh -c id" >/proc/sys/kernel/core_pattern'
try sysctl_write sh -c 'echo 1 >/proc/sys/vm/drop_caches'
try sysrq sh -c 'echo h >/proc/sysrq-trigger'
try sysfs_write sh -c 'echo /x >/sys/kernel/uevent_helper'
try_eperm insmod $B insmod /opt/evil/fake.ko
try unshare_user $B unshare -r true
try unshare_mount $B unshare -m true
try nsenter_pid1 $B nsenter -t 1 -m -u true
try proc1_exe_read sh -c 'cat /proc/1/exe >/dev/null'
try proc1_exe_write sh -c 'echo x >>/proc/1/exe'
try proc1_mem sh -c 'exec 3</proc/1/mem'
try host_pid_seen test -e "/proc/$HOSTPID"
try host_pid_kill kill -0 "$HOSTPID"
try host_http $B wget -q -T 3 -O /dev/null "http://127.0.0.1:$PORT/"
try host_path_seen test -e "$DECOY"
try dev_block sh -c 'ls /dev | grep -E "^(sd|vd|nvme|xvd|loop|dm-|mem|kmem|port)"'
echo "done" >>"$out"
EOF
chmod 755 "$ROOT/opt/evil/attack"

# check_attacks WHERE: every route in the container's log was refused.
check_attacks() {
	local log=$ROOT/root/escape.$1.log
	[ -f "$log" ] || fail "$1: the tenant's code did not run (no $log)"
	grep -q '^done$' "$log" || fail "$1: the tenant's code did not finish: $(cat "$log")"
	! grep -q ' OPEN' "$log" || fail "$1: escape routes open in the container: $(grep ' OPEN' "$log")"
	[ "$(grep -c ' refused$' "$log")" = "$(grep -cE '^try(_eperm)? ' "$ROOT/opt/evil/attack")" ] ||
		fail "$1: not every route was tried: $(cat "$log")"
	say "$1: $(grep -c ' refused$' "$log") routes refused"
}

host_state() {
	{
		cat /proc/sys/kernel/core_pattern
		grep -v "$TEST_TMP" /proc/self/mountinfo | awk '{ print $5, $9, $10 }' | sort
		sha256sum "$VZPKG"
	} >"$1"
}
host_state "$TEST_TMP/host.before"

# --- from vzpkg exec -------------------------------------------------------------------
run_vzpkg exec 101 -- /opt/evil/attack exec
[ "$RC" = 0 ] || fail "exec 101 -- /opt/evil/attack exited $RC$(vzpkg_log)"
check_attacks exec

# --- from the tenant's code run by an admin's install -------------------------------------
mv "$ROOT/usr/bin/dpkg" "$ROOT/usr/bin/dpkg.real"
printf '#!/bin/sh\n/opt/evil/attack dpkg\nexec /usr/bin/dpkg.real "$@"\n' >"$ROOT/usr/bin/dpkg"
chmod 755 "$ROOT/usr/bin/dpkg"
printf '#!/bin/sh\ntouch /root/usr-local-dpkg-ran\nexec /usr/bin/dpkg.real "$@"\n' >"$ROOT/usr/local/sbin/dpkg"
chmod 755 "$ROOT/usr/local/sbin/dpkg"
# A cgroup left by a vzpkg killed with SIGKILL (a dead pid's vzpkg/ct-PID):
# the next run that makes a cgroup sweeps it.
cg_dirs() {
	local c
	for c in /sys/fs/cgroup/memory /sys/fs/cgroup/pids /sys/fs/cgroup; do
		[ ! -f "$c/cgroup.procs" ] || echo "$c/vzpkg"
	done
}
DEAD=$(($(cat /proc/sys/kernel/pid_max) - 1))
while kill -0 "$DEAD" 2>/dev/null; do DEAD=$((DEAD - 1)); done
planted=()
for d in $(cg_dirs); do
	if mkdir -p "$d/ct-$DEAD" 2>/dev/null; then planted+=("$d/ct-$DEAD"); fi
done
[ "${#planted[@]}" -gt 0 ] || say "no writable cgroup hierarchy: the sweep of dead runs' cgroups is not checked here"

PKG=$(uninstalled_pkg 101 original-awk gawk)
run_vzpkg install -p 101 "$PKG"
[ "$RC" = 0 ] || fail "install -p 101 $PKG (the admin's legitimate work) exited $RC$(vzpkg_log)"
[ -n "$(deb_installed_version 101 "$PKG")" ] || fail "install -p 101 $PKG: $PKG is not installed"
check_attacks dpkg
[ ! -e "$ROOT/root/usr-local-dpkg-ran" ] || fail "vzpkg ran the tenant's /usr/local/sbin/dpkg (it is on the PATH)"
ct_no_leftovers
for d in "${planted[@]}"; do
	[ ! -d "$d" ] || fail "the cgroup $d of a dead vzpkg run was not swept"
done
# none of a dead pid (a live one may be another vzpkg's on this machine)
for d in $(cg_dirs); do
	for c in "$d"/ct-*; do
		[ -d "$c" ] || continue
		kill -0 "${c##*/ct-}" 2>/dev/null || fail "a cgroup of a run that ended was left behind: $c"
	done
done

host_state "$TEST_TMP/host.after"
cmp -s "$TEST_TMP/host.before" "$TEST_TMP/host.after" ||
	fail "the host changed (core_pattern, mounts or the vzpkg binary): $(diff_lines "$TEST_TMP/host.before" "$TEST_TMP/host.after")"
tree_manifest "$DECOY" "$TEST_TMP/decoy.after" content
cmp -s "$TEST_TMP/decoy.before" "$TEST_TMP/decoy.after" || fail "the host decoy directory changed"

# --- a command that hangs in the container is killed after RUN_TIMEOUT -------------------
mv "$ROOT/usr/bin/dpkg.real" "$ROOT/usr/bin/dpkg"  # the tenant's wrapper goes
make_app_template hang "$PKG"
add_app_hook post-install 'sleep 600 & sleep 600'
config_set RUN_TIMEOUT 3
tree_manifest "$ROOT" "$TEST_TMP/tree.before-hang"
start=$(date +%s)
run_vzpkg install 101 hang
took=$(($(date +%s) - start))
[ "$RC" = "$EXIT_RUNTIME" ] || fail "install 101 hang (post-install sleeps, RUN_TIMEOUT=3) exited $RC, expected $EXIT_RUNTIME$(vzpkg_log)"
[ "$took" -lt 60 ] || fail "install 101 hang took $took s with RUN_TIMEOUT=3"
grep -q 'RUN_TIMEOUT' "$OUT" "$ERR" || fail "the failure does not name RUN_TIMEOUT$(vzpkg_log)"
grep -q 'rolled back' "$OUT" "$ERR" || fail "the container was not rolled back after the timeout$(vzpkg_log)"
ct_no_leftovers
pgrep -f '^sleep 600' >/dev/null && fail "processes of the timed-out container survive: $(pgrep -af '^sleep 600')"
tree_manifest "$ROOT" "$TEST_TMP/tree.after-hang"
cmp -s "$TEST_TMP/tree.before-hang" "$TEST_TMP/tree.after-hang" ||
	fail "the container changed after a timed-out install: $(diff_lines "$TEST_TMP/tree.before-hang" "$TEST_TMP/tree.after-hang")"
say "ok"
