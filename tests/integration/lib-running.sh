# lib-running.sh - fixtures of the tests on running containers, sourced
# after lib.sh and lib-boot.sh: a small daemon package built at test time
# (a C program compiled here, so /proc/PID/exe is a real binary, with a
# systemd unit enabled and restarted by its maintainer scripts through
# deb-systemd-helper / deb-systemd-invoke as Debian packages do, and a
# conffile), published in versions into the test repository; and checks of
# a running container's service and init.

DAEMON=vzt-daemon
DAEMON_CONF=/etc/vzt-daemon.conf

# build_daemon_deb VERSION [fail]: $TEST_TMP/daemon/vzt-daemon_VERSION_amd64.deb;
# with "fail" its postinst, after the service was restarted on the new
# binary, rewrites the conffile (a configuration migration) and exits 1
# (a broken upgrade).  The binary says its version, and its
# SHA-256 is left in DAEMON_SHA[VERSION].
declare -A DAEMON_SHA=()
build_daemon_deb() {
	local v=$1 how=${2:-} d=$TEST_TMP/daemon/build-$1 deb
	deb=$TEST_TMP/daemon/${DAEMON}_${v}_amd64.deb
	rm -rf "$d"
	mkdir -p "$d/DEBIAN" "$d/usr/sbin" "$d/lib/systemd/system" "$d/etc"
	cat >"$d/daemon.c" <<-EOF
		#include <signal.h>
		#include <stdio.h>
		#include <unistd.h>
		static const char version[] = "$DAEMON version $v";
		int main(void)
		{
			fprintf(stderr, "%s started\n", version);
			for (;;)
				pause();
		}
	EOF
	gcc -O2 -o "$d/usr/sbin/$DAEMON" "$d/daemon.c" || fail "gcc could not build $DAEMON $v"
	rm "$d/daemon.c"
	DAEMON_SHA[$v]=$(sha256sum <"$d/usr/sbin/$DAEMON" | cut -d' ' -f1)
	cat >"$d/lib/systemd/system/$DAEMON.service" <<-EOF
		[Unit]
		Description=vzpkg test daemon
		[Service]
		ExecStart=/usr/sbin/$DAEMON
		[Install]
		WantedBy=multi-user.target
	EOF
	printf '# %s configuration, version %s\nlisten 127.0.0.1\n' "$DAEMON" "$v" >"$d$DAEMON_CONF"
	echo "$DAEMON_CONF" >"$d/DEBIAN/conffiles"
	cat >"$d/DEBIAN/control" <<-EOF
		Package: $DAEMON
		Version: $v
		Architecture: amd64
		Maintainer: vzpkg tests <tests@invalid>
		Depends: libc6, init-system-helpers
		Section: admin
		Priority: optional
		Description: vzpkg test daemon
		 A service that does nothing, version $v.
	EOF
	# What dh_installsystemd writes, shortened.
	cat >"$d/DEBIAN/postinst" <<-EOF
		#!/bin/sh
		set -e
		if [ "\$1" = configure ] || [ "\$1" = abort-upgrade ]; then
			deb-systemd-helper unmask $DAEMON.service >/dev/null || true
			deb-systemd-helper enable $DAEMON.service >/dev/null || true
			if [ -d /run/systemd/system ]; then
				systemctl --system daemon-reload >/dev/null || true
				deb-systemd-invoke restart $DAEMON.service >/dev/null || true
			fi
		fi
		${how:+sed -i 's/^listen /bind /' $DAEMON_CONF; echo "$DAEMON $v: postinst fails on purpose" >&2; exit 1}
	EOF
	cat >"$d/DEBIAN/prerm" <<-EOF
		#!/bin/sh
		set -e
		if [ -d /run/systemd/system ] && [ "\$1" = remove ]; then
			deb-systemd-invoke stop $DAEMON.service >/dev/null || true
		fi
	EOF
	cat >"$d/DEBIAN/postrm" <<-EOF
		#!/bin/sh
		set -e
		if [ "\$1" = remove ] && [ -d /run/systemd/system ]; then
			systemctl --system daemon-reload >/dev/null || true
		fi
		if [ "\$1" = purge ]; then
			deb-systemd-helper purge $DAEMON.service >/dev/null || true
		fi
	EOF
	chmod 755 "$d/DEBIAN/postinst" "$d/DEBIAN/prerm" "$d/DEBIAN/postrm"
	dpkg-deb --root-owner-group -b "$d" "$deb" >/dev/null || fail "dpkg-deb could not build $DAEMON $v"
	rm -rf "$d"
}

# publish_daemon VERSION [fail]: build it (once) into the pool of $REPO
# and republish the repository.
publish_daemon() {
	[ -e "$TEST_TMP/daemon/${DAEMON}_$1_amd64.deb" ] || build_daemon_deb "$@"
	cp "$TEST_TMP/daemon/${DAEMON}_$1_amd64.deb" "$REPO/pool/main/"
	republish_repo "$REPO"
}

# withdraw_daemon VERSION: the version leaves the repository (republished).
withdraw_daemon() {
	rm -f "$REPO/pool/main/${DAEMON}_$1_amd64.deb"
	republish_repo "$REPO"
}

# ct_init_id ID: "host-PID start-time" of the running container's init, to
# tell that it is the same process later.
ct_init_id() {
	local pid
	pid=$(lxc-info -P "$(_lxc_dir)" -n "$(_lxc_name "$1")" -p -H 2>/dev/null) || true
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || fail "container $1 is not running (no init PID)"
	echo "$pid $(awk '{ print $22 }' "/proc/$pid/stat")"
}

# check_service ID VERSION: in the running container ID the daemon's unit is
# active and its main process runs the binary of VERSION (its
# /proc/PID/exe is not a deleted file and has that binary's SHA-256).
check_service() {
	local id=$1 v=$2 state pid exe sum
	state=$(in_ct "$id" systemctl is-active "$DAEMON.service" 2>&1) || true
	[ "$state" = active ] || fail "container $id: $DAEMON.service is '$state', expected active
$(in_ct "$id" systemctl status "$DAEMON.service" --no-pager 2>&1 | tail -n 15)"
	pid=$(in_ct "$id" systemctl show -p MainPID --value "$DAEMON.service")
	[[ $pid =~ ^[1-9][0-9]*$ ]] || fail "container $id: $DAEMON.service has no main PID ('$pid')"
	exe=$(in_ct "$id" readlink "/proc/$pid/exe") || fail "container $id: cannot read /proc/$pid/exe"
	[ "$exe" = "/usr/sbin/$DAEMON" ] || fail "container $id: $DAEMON runs '$exe', expected /usr/sbin/$DAEMON (not deleted)"
	sum=$(in_ct "$id" sha256sum "/proc/$pid/exe" | cut -d' ' -f1)
	[ "$sum" = "${DAEMON_SHA[$v]}" ] ||
		fail "container $id: the running $DAEMON is not the version $v binary (SHA-256 $sum, expected ${DAEMON_SHA[$v]})"
}

# running_no_leftovers ID: while container ID runs: no mount below the
# temp dir in the host's namespace, an empty TMP_DIR, no snapshot beside
# the private areas, and no process below the temp dir other than the
# container's own (its PID namespace).
running_no_leftovers() {
	local init ns p left=
	init=$(ct_init_id "$1" | cut -d' ' -f1)
	ns=$(readlink "/proc/$init/ns/pid")
	[ -z "$(_mounts_under_tmp)" ] || fail "mounts left below $TEST_TMP: $(_mounts_under_tmp)"
	[ -z "$(ls -A "$TMP_DIR")" ] || fail "TMP_DIR $TMP_DIR not empty: $(ls -A "$TMP_DIR")"
	left=$(find "$CT_PRIVATE" -mindepth 1 -maxdepth 1 -name '*.vzpkg-*' 2>/dev/null)
	[ -z "$left" ] || fail "container transaction left behind: $left"
	left=
	while read -r p _; do
		[ -n "$p" ] || continue
		[ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "$ns" ] || left="$left $p($(cat "/proc/$p/comm" 2>/dev/null))"
	done < <(_procs_under_tmp)
	[ -z "$left" ] || fail "processes left inside $TEST_TMP besides container $1's:$left"
}
