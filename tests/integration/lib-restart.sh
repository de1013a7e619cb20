# lib-restart.sh - the fixture of test-ct-restart.sh, sourced after lib.sh:
# a shared library libvzdemo1 (libvzdemo.so.1 -> libvzdemo.so.1.0.V, so a
# process's maps tell which version it runs) and a daemon package vzdemod
# linked against it, with a systemd unit that its postinst enables and
# starts through deb-systemd-helper/deb-systemd-invoke as Debian packages
# do. Both are compiled with the host's gcc at test time.

LIBDIR=/usr/lib/x86_64-linux-gnu

require_gcc() { command -v gcc >/dev/null || skip "gcc is not installed (apt-get install gcc)"; }

# _deb_pkg DIR NAME VERSION DEPENDS: DIR/DEBIAN/control, then the .deb into
# $REPO's pool.
_deb_pkg() {
	local dir=$1 name=$2 ver=$3 deps=$4
	mkdir -p "$dir/DEBIAN"
	cat >"$dir/DEBIAN/control" <<-EOF2
		Package: $name
		Version: $ver
		Architecture: amd64
		Maintainer: vzpkg tests <tests@vzpkg-test.invalid>
		${deps:+Depends: $deps}
		Description: vzpkg restart test package $name
	EOF2
	sed -i '/^$/d' "$dir/DEBIAN/control"
	dpkg-deb --root-owner-group -b "$dir" "$REPO/pool/main/${name}_${ver}_amd64.deb" >/dev/null ||
		fail "dpkg-deb -b $name $ver failed"
}

# build_libvzdemo V: libvzdemo1 version V (vzdemo_version() returns V).
build_libvzdemo() {
	local v=$1 w=$TEST_TMP/build/lib$1
	mkdir -p "$w$LIBDIR"
	printf 'int vzdemo_version(void) { return %d; }\n' "$v" >"$w.c"
	gcc -shared -fPIC -Wl,-soname,libvzdemo.so.1 -o "$w$LIBDIR/libvzdemo.so.1.0.$v" "$w.c" ||
		fail "gcc libvzdemo $v failed"
	ln -s "libvzdemo.so.1.0.$v" "$w$LIBDIR/libvzdemo.so.1"
	_deb_pkg "$w" libvzdemo1 "$v.0-1" ""
}

# build_vzdemod: vzdemod 1.0-1, depending on libvzdemo1; its unit runs
# /usr/sbin/vzdemod, which only sleeps (and so maps the library).
build_vzdemod() {
	local w=$TEST_TMP/build/vzdemod link=$TEST_TMP/build/link
	mkdir -p "$w/usr/sbin" "$w/lib/systemd/system" "$link"
	cat >"$w.c" <<-'EOF2'
		#include <unistd.h>
		int vzdemo_version(void);
		int main(void) { for (;;) sleep(vzdemo_version() > 0 ? 60 : 1); }
	EOF2
	gcc -shared -fPIC -Wl,-soname,libvzdemo.so.1 -o "$link/libvzdemo.so" -x c - <<<'int vzdemo_version(void) { return 0; }'
	gcc -o "$w/usr/sbin/vzdemod" "$w.c" -L"$link" -lvzdemo || fail "gcc vzdemod failed"
	cat >"$w/lib/systemd/system/vzdemo.service" <<-'EOF2'
		[Unit]
		Description=vzpkg restart test daemon
		[Service]
		ExecStart=/usr/sbin/vzdemod
		[Install]
		WantedBy=multi-user.target
	EOF2
	mkdir -p "$w/DEBIAN"
	# what debhelper's systemd snippets do, in short
	cat >"$w/DEBIAN/postinst" <<-'EOF2'
		#!/bin/sh
		set -e
		if [ "$1" = configure ]; then
			deb-systemd-helper unmask vzdemo.service >/dev/null || true
			deb-systemd-helper enable vzdemo.service >/dev/null || true
			if [ -d /run/systemd/system ]; then
				systemctl --system daemon-reload >/dev/null || true
				deb-systemd-invoke start vzdemo.service >/dev/null || true
			fi
		fi
	EOF2
	chmod 755 "$w/DEBIAN/postinst"
	_deb_pkg "$w" vzdemod 1.0-1 "libvzdemo1 (>= 1.0-1), init-system-helpers"
}

# vzdemo_pid CTID: the service's main PID inside the container (0: none).
vzdemo_pid() { in_ct "$1" systemctl show -p MainPID --value vzdemo.service; }

# vzdemo_lib CTID PID: the libvzdemo files process PID maps, as the
# container sees them (one a line, " (deleted)" kept).
vzdemo_lib() {
	in_ct "$1" cat "/proc/$2/maps" | awk '/libvzdemo/ { $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' | sort -u
}

# restart_json_facts FILE CTID: from a --json summary, container CTID's
# "restart" object as lines: "needed BOOL", "service UNIT", "manual UNIT",
# "proc UNIT FILE" (one per process and deleted file); "restart null"
# when it is absent or null; "error MSG" when present.
restart_json_facts() {
	python3 - "$1" "$2" <<-'PY'
		import json, sys
		data = json.load(open(sys.argv[1], encoding="utf-8"))
		ct = [o for o in data if o.get("ct") == sys.argv[2]]
		if len(ct) != 1:
		    print(f"no single object for container {sys.argv[2]}")
		    sys.exit(1)
		r = ct[0].get("restart")
		print(f"running {str(ct[0].get('running')).lower()}")
		if r is None:
		    print("restart null")
		    sys.exit(0)
		print(f"needed {str(r['needed']).lower()}")
		for u in r["services"]:
		    print(f"service {u}")
		for u in r["manual"]:
		    print(f"manual {u}")
		for p in r["processes"]:
		    assert isinstance(p["pid"], int) and isinstance(p["host_pid"], int) and isinstance(p["comm"], str)
		    for f in p["files"]:
		        print(f"proc {p['unit']} {f}")
		for u in r.get("restarted", []):
		    print(f"restarted {u}")
		if "error" in r:
		    print(f"error {r['error']}")
	PY
}

# wait_systemd CTID: the container's systemd answers (its private socket
# exists); before that, systemctl is-system-running says "offline".
wait_systemd() {
	local i
	for ((i = 0; i < BOOT_TIMEOUT; i++)); do
		in_ct "$1" test -S /run/systemd/private 2>/dev/null && return 0
		sleep 1
	done
	fail "container $1: systemd did not come up within ${BOOT_TIMEOUT}s"
}
