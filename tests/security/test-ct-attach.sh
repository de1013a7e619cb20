#!/bin/bash
# `vzpkg exec` on a running container attaches to it (runtime/attach.c):
# a vzctl-layout private area holding busybox, started by lxc-start from a
# private lxcpath with a shell loop as its init. Asserts that the command
# runs in the init's PID, UTS, IPC, network and cgroup namespaces and below
# its cgroup, in a mount namespace of its own; with capabilities cut to
# vzpkg's set and the init's bounding set (the container drops setfcap),
# NoNewPrivs 1, Seccomp 2, no descriptor but 0-2 and only the plan's
# environment; that mounting, unshare, nsenter and mknod are refused; that
# the tenant's attacks on the attaching process fail: its binary being
# "#!/proc/self/exe", and a daemon of the container that stops every new
# process, opens its /proc/PID/exe and later reopens it for writing (the
# runc CVE-2019-5736 pattern) -- it must only ever see a sealed memfd, and
# vzpkg's binary stays byte-identical; that an interrupted command's
# processes die while the container's own live on, and a daemon the command
# leaves behind normally is handed to the container's cgroup; that nothing
# of ours (process, cgroup, mount) is left; and that exec on the stopped
# container still uses a container of its own. (The plan's bind mounts,
# read-only and unseen by the container's other processes, and the timeout
# are checked by unit.runtime, test_attach_running.)
. "$(dirname "$0")/../integration/lib.sh"

require_privileges
require_vzpkg
for t in lxc-start lxc-stop lxc-info lxc-attach; do
	command -v "$t" >/dev/null || skip "$t is not installed (apt-get install lxc)"
done
[ -x /bin/busybox ] || skip "busybox-static is not installed (the container is made of it)"
command -v cc >/dev/null || skip "no C compiler for the attacker program"
grep -qw cgroup2 /proc/filesystems || skip "no cgroup v2 (attaching needs it)"

make_env
setup_ct_env 1
ROOT=$(ct_private 101)
mkdir -p "$ROOT"/{bin,proc,sys,dev,tmp,run,root,etc} "$CT_CONF"
cp /bin/busybox "$ROOT/bin/busybox"
for a in sh sleep cat ls grep mount umount unshare nsenter mknod env readlink true tr; do
	ln -s busybox "$ROOT/bin/$a"
done
printf '#!/bin/sh\nwhile :; do sleep 1; done\n' >"$ROOT/bin/init.sh"
chmod 755 "$ROOT/bin/init.sh"
printf 'OSTEMPLATE=".debian-12-x86_64"\nVE_PRIVATE="%s"\n' "$ROOT" >"$(ct_conf 101)"
cc -static -O2 -o "$ROOT/bin/attacker" "$(dirname "$0")/attach-attacker.c"
printf '#!/proc/self/exe\n' >"$ROOT/bin/evil"
chmod 755 "$ROOT/bin/evil"

LXC=$TEST_TMP/lxc
NAME=vzpkg-attach-$$
mkdir -p "$LXC/$NAME"
cat >"$LXC/$NAME/config" <<EOF
lxc.uts.name = ct101
lxc.rootfs.path = dir:$ROOT
lxc.init.cmd = /bin/init.sh
lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
lxc.net.0.type = empty
lxc.apparmor.profile = unconfined
lxc.cap.drop = sys_module mac_admin mac_override sys_time sys_rawio setfcap
lxc.log.file = $LXC/$NAME.log
lxc.log.level = WARN
EOF
stop_ct() { lxc-stop -P "$LXC" -n "$NAME" -k >/dev/null 2>&1 || true; }
at_exit stop_ct
lxc-start -P "$LXC" -n "$NAME" -d || fail "lxc-start failed: $(tail -n 20 "$LXC/$NAME.log")"
INIT=
for _ in $(seq 50); do
	INIT=$(lxc-info -P "$LXC" -n "$NAME" -p -H 2>/dev/null) && [ -n "$INIT" ] && break
	sleep 0.1
done
[ -n "$INIT" ] || fail "the container did not start: $(tail -n 20 "$LXC/$NAME.log")"
say "container running, init $INIT"

# the init's cgroup directory in the unified hierarchy
unified=/sys/fs/cgroup
[ -f $unified/cgroup.controllers ] || unified=/sys/fs/cgroup/unified
CGDIR=$unified$(sed -n 's/^0:://p' "/proc/$INIT/cgroup")
[ -d "$CGDIR" ] || fail "no cgroup directory $CGDIR for the init"

BIN_SUM=$(sha256sum "$VZPKG" | cut -d' ' -f1)
HELPER_FILE=$(dirname "$VZPKG")/../runtime/vzpkg-attach-helper
HELPER_SUM=$(sha256sum "$HELPER_FILE" 2>/dev/null | cut -d' ' -f1 || true)

# nothing of ours left: no attaching process (memfd executable) on the
# host, no cgroup of ours, no mount below the test dir; the container runs
# on with the same init
nothing_left() {
	local p left=
	for _ in $(seq 25); do
		left=
		for p in /proc/[0-9]*; do
			[[ $(readlink "$p/exe" 2>/dev/null) == /memfd:vzpkg-attach* ]] && left+=" ${p#/proc/}"
		done
		left+=$(find "$CGDIR" -maxdepth 1 -name 'vzpkg-attach.*' -printf ' %f')
		[ -n "$left" ] || break
		sleep 0.2
	done
	[ -z "$left" ] || fail "$1: left behind:$left"
	[ "$(lxc-info -P "$LXC" -n "$NAME" -p -H)" = "$INIT" ] || fail "$1: the container's init changed or died"
	[ -z "$(_mounts_under_tmp)" ] || fail "$1: mounts left on the host: $(_mounts_under_tmp)"
}

# count_cmd CMDLINE: processes whose command line is CMDLINE (words)
count_cmd() {
	local p n=0
	for p in /proc/[0-9]*; do
		[ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" = "$1 " ] && n=$((n + 1))
	done
	echo "$n"
}

# --- what the attached command is and has ------------------------------------------
run_vzpkg exec 101 -- sh -c '
	ls -l /proc/$$/fd >/tmp/fds
	for n in pid uts ipc net cgroup mnt; do echo "ns $n $(readlink /proc/self/ns/$n)"; done
	echo "cgroup $(sed -n "s/^0:://p" /proc/self/cgroup)"
	grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status | tr -d "\t"
	echo "fds $(sed -n "s/.* -> //p" /tmp/fds | sed "s/^pipe:.*/pipe/" | sort -u | tr "\n" " ")"
	echo "env $(env | grep -v -e ^PWD= -e ^SHLVL= -e ^_= | sort | tr "\n" " ")"
	try() { if "$@" >/dev/null 2>&1; then echo "escape $1 OPEN"; else echo "escape $1 refused"; fi; }
	try mount -t tmpfs none /tmp
	try unshare -m true
	try nsenter -t 1 -m true
	try mknod /root/mem c 1 1
	exit 3'
[ "$RC" = 3 ] || fail "exec on the running container exited $RC, expected 3$(vzpkg_log)"
for n in pid uts ipc net cgroup; do
	want=$(readlink "/proc/$INIT/ns/$n")
	grep -qxF "ns $n $want" "$OUT" || fail "the command is not in the init's $n namespace ($want): $(grep "ns $n" "$OUT")"
done
grep -qxF "ns mnt $(readlink "/proc/$INIT/ns/mnt")" "$OUT" && fail "the command shares the init's mount namespace"
grep -qxF "ns mnt $(readlink /proc/self/ns/mnt)" "$OUT" && fail "the command is in the host's mount namespace"
grep -qE '^cgroup /vzpkg-attach\.[0-9]+/cmd$' "$OUT" || fail "the command is not in our cgroup below the container's: $(grep ^cgroup "$OUT")"
eff=$(sed -n 's/^CapEff://p' "$OUT")
bnd=$(sed -n 's/^CapBnd://p' "$OUT")
init_bnd=$(sed -n 's/^CapBnd:\t//p' "/proc/$INIT/status")
[ -n "$bnd" ] && [ "$eff" = "$bnd" ] || fail "CapEff $eff differs from CapBnd $bnd"
((0x$bnd & ~0x$init_bnd)) && fail "CapBnd $bnd has capabilities the init ($init_bnd) lacks"
for bit in 16 17 19 21 27 31; do # sys_module, sys_rawio, sys_ptrace, sys_admin, mknod, setfcap (dropped by the container)
	((0x$bnd >> bit & 1)) && fail "CapBnd $bnd has capability $bit"
done
grep -qx 'NoNewPrivs:1' "$OUT" || fail "no_new_privs is not set"
grep -qx 'Seccomp:2' "$OUT" || fail "no seccomp filter"
# the shell's own: stdin, the output pipe (and busybox's saved copy of it),
# the file it redirected to; nothing else of the host's
grep -qx 'fds /tmp/fds pipe ' "$OUT" || fail "descriptors of the host reached the command: $(grep ^fds "$OUT")"
grep -qx 'env HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb ' "$OUT" ||
	fail "the environment is not only the plan's: $(grep ^env "$OUT")"
grep '^escape' "$OUT" | grep -v refused && fail "escapes from the attached command succeeded"
[ "$(grep -c '^escape .* refused' "$OUT")" = 4 ] || fail "escape checks did not run: $(cat "$OUT")"
nothing_left "after a command"

# --- the tenant attacks the attaching process ---------------------------------------
lxc-attach -P "$LXC" -n "$NAME" --clear-env -- /bin/attacker /root/attack.log 12 &
ATTACKER=$!
at_exit "kill $ATTACKER 2>/dev/null"
for _ in $(seq 50); do
	grep -q ready "$ROOT/root/attack.log" 2>/dev/null && break
	sleep 0.1
done
run_vzpkg exec 101 -- /bin/evil
[ "$RC" = 127 ] || fail "a '#!/proc/self/exe' command exited $RC, expected 127$(vzpkg_log)"
grep -q 'vzpkg-attach: internal helper of vzpkg, not to be run' "$OUT" "$ERR" ||
	fail "'#!/proc/self/exe' did not re-execute the sealed helper: $(cat "$OUT" "$ERR")"
for _ in $(seq 15); do
	run_vzpkg exec 101 -- sh -c :
	[ "$RC" = 0 ] || fail "exec on the running container under attack exited $RC$(vzpkg_log)"
done
wait "$ATTACKER" || true
ALOG=$ROOT/root/attack.log
grep -qx done "$ALOG" || fail "the attacker did not finish: $(tail -n 5 "$ALOG")"
grep '^WROTE' "$ALOG" && fail "the attacker overwrote an executable of ours"
foreign=$(grep '^seen' "$ALOG" | grep -v -e ' /bin/busybox$' -e ' /bin/attacker$' -e ' /memfd:vzpkg-attach (deleted)$' || true)
[ -z "$foreign" ] || fail "the container saw a process of ours run from a host file: $foreign"
caught=$(grep -c '^seen .*memfd:vzpkg-attach' "$ALOG" || true)
gone=$(grep -c '^unreadable' "$ALOG" || true)
# 16 attaches, each visible for a few hundred microseconds before its exec:
# the attacker, scanning /proc in a loop, catches some of them every time
[ "$caught" -ge 1 ] || fail "the attacker caught none of our processes: the attack was not exercised ($gone gone)"
say "the attacker caught $caught of our processes before their exec, every one a sealed memfd ($gone were gone before it looked)"
if grep -q '^refused' "$ALOG"; then
	grep '^refused' "$ALOG" | grep -qv 'memfd:vzpkg-attach (deleted) Operation not permitted' &&
		fail "unexpected refusal reason: $(grep ^refused "$ALOG" | sort -u)"
fi
[ "$(sha256sum "$VZPKG" | cut -d' ' -f1)" = "$BIN_SUM" ] || fail "the vzpkg binary changed"
[ -z "$HELPER_SUM" ] || [ "$(sha256sum "$HELPER_FILE" | cut -d' ' -f1)" = "$HELPER_SUM" ] ||
	fail "the build's helper file changed"
nothing_left "after the attacks"

# --- interrupted: our processes die, the container's live on ---------------------------
S1=7$$1 S2=7$$2
"$VZPKG" -c "$CONF" exec 101 -- sh -c "sleep $S1 & sleep $S1" >"$TEST_TMP/int.out" 2>&1 &
EXEC=$!
for _ in $(seq 50); do
	[ "$(count_cmd "sleep $S1")" = 2 ] && break
	sleep 0.1
done
[ "$(count_cmd "sleep $S1")" = 2 ] || fail "the command to interrupt did not start: $(cat "$TEST_TMP/int.out")"
kill -INT "$EXEC"
rc=0
wait "$EXEC" || rc=$?
[ "$rc" != 0 ] || fail "an interrupted exec exited 0"
for _ in $(seq 25); do
	n=$(count_cmd "sleep $S1")
	[ "$n" = 0 ] && break
	sleep 0.2
done
[ "$n" = 0 ] || fail "the interrupted command's processes survive"
nothing_left "after an interrupt"

# --- a daemon the command starts belongs to the container afterwards -------------------
run_vzpkg exec 101 -- sh -c "sleep $S2 >/dev/null 2>&1 </dev/null &"
[ "$RC" = 0 ] || fail "exec with a background daemon exited $RC$(vzpkg_log)"
daemon=
for p in /proc/[0-9]*; do
	[ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" = "sleep $S2 " ] && daemon=${p#/proc/}
done
[ -n "$daemon" ] || fail "the command's daemon did not survive a normal end"
[ "$(sed -n 's/^0:://p' "/proc/$daemon/cgroup")" = "$(sed -n 's/^0:://p' "/proc/$INIT/cgroup")" ] ||
	fail "the daemon is not in the container's cgroup: $(cat "/proc/$daemon/cgroup")"
kill "$daemon"
nothing_left "after a daemon was handed over"

# --- stopped: exec makes a container of its own, as before ------------------------------
stop_ct
run_vzpkg exec 101 -- sh -c 'echo pid=$$'
[ "$RC" = 0 ] && grep -qx 'pid=2' "$OUT" || fail "exec on the stopped container: $RC $(cat "$OUT")$(vzpkg_log)"
say "ok"
