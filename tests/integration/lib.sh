# lib.sh - shared helpers for vzpkg's integration tests.  Sourced by test-*.sh.
#
# A test drives the real vzpkg binary ($VZPKG) against a real, signed apt
# repository built at test time from real Debian packages and served over
# HTTP on 127.0.0.1.  Exit codes follow CTest: 0 pass, 1 fail, 77 skip.
#
# Environment:
#   VZPKG                 the binary (CTest sets it; by hand it defaults to build/vzpkg/vzpkg)
#   VZPKG_SRC             the source tree (for the shipped templates)
#   VZPKG_TEST_DEB_CACHE  where downloaded .debs are kept between runs
#   VZPKG_TEST_KEEP=1     keep the test's temp dir for inspection
#   VZPKG_TEST_TIMEOUT    seconds one vzpkg run may take (default 600)

set -eEuo pipefail

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HELPERS="$LIB_DIR/helpers.py"
TEST_NAME=$(basename "$0" .sh)
: "${VZPKG_SRC:=$(cd "$LIB_DIR/../.." && pwd)}"
: "${VZPKG:=$VZPKG_SRC/build/vzpkg/vzpkg}"
DEB_CACHE=${VZPKG_TEST_DEB_CACHE:-/var/cache/vzpkg-tests/debs}
DEB_STAMP="$DEB_CACHE/.complete"
SUITE=bookworm
TEST_TMP=

say() { printf '%s: %s\n' "$TEST_NAME" "$*" >&2; }
fail() {
	printf 'FAIL: %s: %s\n' "$TEST_NAME" "$*" >&2
	[ -z "$TEST_TMP" ] || [ "${VZPKG_TEST_KEEP:-}" = 1 ] ||
		printf '(rerun with VZPKG_TEST_KEEP=1 to keep %s)\n' "$TEST_TMP" >&2
	exit 1
}
skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# An unexpected failure of a setup command is a test failure (exit 1), not
# whatever code the command happened to return (which could even be 77).
trap 'fail "unexpected failure (line $LINENO): $BASH_COMMAND"' ERR

# ---------------------------------------------------------------------------
# Cleanup: actions registered with at_exit run in reverse order on exit.
_CLEANUP=()
at_exit() { _CLEANUP+=("$1"); }
_run_cleanup() {
	local rc=$? i
	trap - ERR
	set +e
	for ((i = ${#_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${_CLEANUP[i]}"
	done
	exit "$rc"
}
trap _run_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# Preconditions.

require_privileges() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	unshare -mpf --mount-proc true 2>/dev/null ||
		skip "namespaces unavailable (unshare -mpf --mount-proc true failed)"
}

require_vzpkg() {
	[ -x "$VZPKG" ] || fail "vzpkg binary not found or not executable: $VZPKG"
}

# host_mirrors: the host's apt source URIs that carry $SUITE.
host_mirrors() { python3 "$HELPERS" mirrors "$SUITE"; }

# mirror_reachable: true when the first host mirror for $SUITE answers in 10 s.
mirror_reachable() {
	local m
	m=$(host_mirrors | sed -n 1p)
	[ -n "$m" ] || return 1
	curl -fsS --max-time 10 -o /dev/null "$m/dists/$SUITE/InRelease" 2>/dev/null
}

# ---------------------------------------------------------------------------
# The shared .deb cache.

# Names of the packages the test repositories hold: every Priority: required
# and Essential: yes package, apt, and their Depends/Pre-Depends closure (all
# alternatives and all providers of virtual packages, as apt-cache sees them).
# The boot test (test-boot-lxc.sh) adds an init and an SSH server.
_TEST_EXTRA_PACKAGES="systemd-sysv openssh-server dbus"
_test_package_names() {
	local avail base
	avail=$(mktemp)
	apt-cache dumpavail >"$avail"
	base=$(python3 "$HELPERS" required "$avail")
	# shellcheck disable=SC2086
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances apt $_TEST_EXTRA_PACKAGES $base |
		grep -E '^[a-z0-9][a-z0-9+.-]*$' | sort -u |
		# Keep only real packages that have a candidate (drops virtual ones).
		comm -12 - <(sed -n 's/^Package: //p' "$avail" | sort -u)
	rm -f "$avail"
}

_deb_cache_complete() {
	local f
	[ -s "$DEB_STAMP" ] || return 1
	# a cache filled before a name joined the list is refilled
	for f in $_TEST_EXTRA_PACKAGES; do
		grep -q "^${f}_" "$DEB_STAMP" || return 1
	done
	while read -r f; do
		[ -s "$DEB_CACHE/$f" ] || return 1
	done <"$DEB_STAMP"
}

# fetch_test_debs: fill $DEB_CACHE once (the stamp lists its files); later
# calls reuse it.  Skips the test when the cache is incomplete and the mirror
# cannot be reached.
fetch_test_debs() {
	local lockfd new names
	mkdir -p "$DEB_CACHE"
	exec {lockfd}>"$DEB_CACHE/.lock"
	flock -w 1800 "$lockfd" || fail "timed out waiting for the lock on $DEB_CACHE"
	if _deb_cache_complete; then
		exec {lockfd}>&-
		return 0
	fi
	if ! mirror_reachable; then
		exec {lockfd}>&-
		skip "the .deb cache $DEB_CACHE is empty and the host's apt mirror is unreachable"
	fi
	say "filling the .deb cache $DEB_CACHE (once)"
	new=$(mktemp -d "$DEB_CACHE/.new.XXXXXX")
	names=$(_test_package_names)
	[ -n "$names" ] || fail "found no required packages in the host's apt lists (run apt-get update)"
	# apt-get download takes the candidate of each name (native arch or all).
	# shellcheck disable=SC2086
	if ! (cd "$new" && apt-get -q -o APT::Sandbox::User=root download $names) \
		>"$new.log" 2>&1; then
		tail -n 20 "$new.log" >&2
		rm -rf "$new" "$new.log"
		fail "apt-get download failed (stale apt lists? run apt-get update)"
	fi
	find "$DEB_CACHE" -maxdepth 1 -name '*.deb' -delete
	mv "$new"/*.deb "$DEB_CACHE/"
	(cd "$DEB_CACHE" && ls -- *.deb) >"$DEB_STAMP.tmp"
	mv "$DEB_STAMP.tmp" "$DEB_STAMP"
	rm -rf "$new" "$new.log"
	exec {lockfd}>&-
}

# deb_in_cache NAME: true when the cache holds package NAME.
deb_in_cache() { grep -q "^$1_" "$DEB_STAMP"; }

# ---------------------------------------------------------------------------
# The test environment.

# make_env: a temp dir with a vzpkg config and template area.  Sets TEST_TMP,
# CONF, TEMPLATE, PKG_CACHE, METADATA_CACHE, LOCK_DIR, TMP_DIR, LOG_DIR.
make_env() {
	TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vzpkg-it.XXXXXX")
	at_exit _cleanup_env
	TEMPLATE=$TEST_TMP/template
	PKG_CACHE=$TEST_TMP/pkg-cache
	METADATA_CACHE=$TEST_TMP/metadata-cache
	LOCK_DIR=$TEST_TMP/lock
	TMP_DIR=$TEST_TMP/tmp
	LOG_DIR=$TEST_TMP/log
	mkdir -p "$TEMPLATE/cache" "$PKG_CACHE" "$METADATA_CACHE" "$LOCK_DIR" "$TMP_DIR" "$LOG_DIR"
	CONF=$TEST_TMP/vzpkg.conf
	cat >"$CONF" <<-EOF
		# vzpkg configuration for integration test $TEST_NAME
		TEMPLATE=$TEMPLATE
		PKG_CACHE=$PKG_CACHE
		METADATA_CACHE=$METADATA_CACHE
		LOCK_DIR=$LOCK_DIR
		TMP_DIR=$TMP_DIR
		LOG_DIR=$LOG_DIR
		ARCHIVE=zst
		STAGE_CACHE=no
	EOF
	export VZPKG_CONFIG=$CONF
	# never the host's /etc/vz/vz.conf and /etc/vztt/vztt.conf ("": not read)
	export VZPKG_VZ_CONF= VZPKG_VZTT_CONF=
	OUT=$TEST_TMP/vzpkg.out
	ERR=$TEST_TMP/vzpkg.err
}

# config_var TOKEN VALUE: define template variable $TOKEN in the config.
config_var() {
	local tmp=$CONF.tmp
	grep -v "^\\\$$1[[:space:]]" "$CONF" >"$tmp" || true
	printf '$%s %s\n' "$1" "$2" >>"$tmp"
	mv "$tmp" "$CONF"
}

# make_template SET PACKAGE...: the test OS template debian-12-x86_64[-SET]
# (SET "default" for the base), using repository $TEST_MIRROR (point it at a
# server with config_var TEST_MIRROR URL) and listing the key "test".  Sets
# TDIR to the template's directory and OST to its name.
make_template() {
	local set=$1
	shift
	TDIR=$TEMPLATE/debian/12/x86_64/config/os/$set
	OST=debian-12-x86_64
	[ "$set" = default ] || OST=$OST-$set
	mkdir -p "$TDIR/gpgkeys"
	printf '%s\n' "$@" >"$TDIR/packages"
	echo dpkgx64 >"$TDIR/package_manager"
	echo debian >"$TDIR/distribution"
	echo "\$TEST_MIRROR $SUITE main" >"$TDIR/repositories"
	cp "$TEST_TMP/keys/test.asc" "$TDIR/gpgkeys/test.asc"
}

# add_hook NAME BODY: an executable hook script NAME in $TDIR.
add_hook() {
	printf '#!/bin/bash\n%s\n' "$2" >"$TDIR/$1"
	chmod 755 "$TDIR/$1"
}

# run_vzpkg ARGS...: run vzpkg with the test config; sets RC, output in
# $OUT and $ERR.
run_vzpkg() {
	RC=0
	timeout -k 10 "${VZPKG_TEST_TIMEOUT:-600}" "$VZPKG" -c "$CONF" "$@" >"$OUT" 2>"$ERR" || RC=$?
	[ "$RC" != 124 ] || fail "vzpkg $* timed out; stderr: $(tail -n 20 "$ERR")"
}

# vzpkg_log: the end of vzpkg's output, for failure messages.
vzpkg_log() {
	local log
	printf '\n--- stdout (tail) ---\n%s\n--- stderr (tail) ---\n%s\n' \
		"$(tail -n 20 "$OUT" 2>/dev/null || true)" "$(tail -n 40 "$ERR" 2>/dev/null || true)"
	log=$(ls -t "$LOG_DIR" 2>/dev/null | sed -n 1p || true)
	[ -z "$log" ] || [ ! -f "$LOG_DIR/$log" ] ||
		printf -- '--- %s (tail) ---\n%s\n' "$log" "$(tail -n 30 "$LOG_DIR/$log" || true)"
}

# diff_lines A B: the first lines that differ ("< in A", "> in B"); never fails.
diff_lines() { diff "$1" "$2" | grep '^[<>]' | head -n 20 || true; }

_under_test_tmp() { [[ $1 == "$TEST_TMP" || $1 == "$TEST_TMP"/* ]]; }

# _mounts_under_tmp: mount points below $TEST_TMP, deepest first.
_mounts_under_tmp() {
	awk -v t="$TEST_TMP" '$2 == t || index($2, t "/") == 1 { print $2 }' /proc/mounts | sort -r
}

# _procs_under_tmp: "pid root cwd" of processes whose root or cwd is below
# $TEST_TMP (a leaked container process or chroot), except this shell.
_procs_under_tmp() {
	local p pid root cwd
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" != $$ ] && [ "$pid" != "$BASHPID" ] || continue
		root=$(readlink "$p/root" 2>/dev/null) || continue
		cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
		if _under_test_tmp "$root" || _under_test_tmp "$cwd"; then
			echo "$pid root=$root cwd=$cwd comm=$(cat "$p/comm" 2>/dev/null)"
		fi
	done
}

# assert_no_leftovers: after a vzpkg run, nothing of the build may remain:
# no mount and no process below the temp dir, and an empty TMP_DIR.  A few
# seconds of grace let the kernel finish tearing a dead namespace down.
assert_no_leftovers() {
	local i mounts procs files
	for i in $(seq 25); do
		mounts=$(_mounts_under_tmp)
		procs=$(_procs_under_tmp)
		files=$(ls -A "$TMP_DIR")
		[ -n "$mounts$procs$files" ] || return 0
		sleep 0.2
	done
	[ -z "$mounts" ] || fail "mounts left below $TEST_TMP: $mounts"
	[ -z "$procs" ] || fail "processes left inside $TEST_TMP: $procs"
	fail "TMP_DIR $TMP_DIR not empty: $files"
}

_cleanup_env() {
	local m p
	[ -n "$TEST_TMP" ] && [ -d "$TEST_TMP" ] || return 0
	if [ -d "$TEST_TMP/gnupg" ]; then
		GNUPGHOME=$TEST_TMP/gnupg gpgconf --kill gpg-agent 2>/dev/null
	fi
	# Whatever vzpkg leaked is killed and unmounted (these processes descend
	# from this test) before anything is deleted.
	for p in $(_procs_under_tmp | cut -d' ' -f1); do kill -KILL "$p" 2>/dev/null; done
	for m in $(_mounts_under_tmp); do umount -l "$m" 2>/dev/null; done
	if [ "${VZPKG_TEST_KEEP:-}" = 1 ]; then
		say "kept $TEST_TMP"
	elif [ -n "$(_mounts_under_tmp)" ]; then
		# Never rm -rf through a bind mount of a host directory.
		say "mounts remain below $TEST_TMP; not deleting it"
	else
		rm -rf --one-file-system "$TEST_TMP"
	fi
}

# ---------------------------------------------------------------------------
# Keys and repositories.  All GPG work uses a private GNUPGHOME below the
# temp dir, never the user's keyring.

# make_key NAME: a throwaway signing key; its armored public key is written
# to $TEST_TMP/keys/NAME.asc.
make_key() {
	local name=$1 uid="vzpkg test key $1 <$1@vzpkg-test.invalid>"
	[ -s "$TEST_TMP/keys/$name.asc" ] && return 0
	export GNUPGHOME=$TEST_TMP/gnupg
	mkdir -p "$GNUPGHOME" "$TEST_TMP/keys"
	chmod 700 "$GNUPGHOME"
	# Throwaway keys need no web of trust; this also silences trustdb chatter.
	printf 'trust-model always\nquiet\n' >"$GNUPGHOME/gpg.conf"
	gpg --batch --quiet --passphrase '' --quick-gen-key "$uid" rsa3072 sign never 2>/dev/null
	gpg --batch --armor --export "=$uid" >"$TEST_TMP/keys/$name.asc"
	[ -s "$TEST_TMP/keys/$name.asc" ] || fail "could not export key $name"
}

_key_fpr() {
	gpg --batch --with-colons --list-keys "=vzpkg test key $1 <$1@vzpkg-test.invalid>" |
		awk -F: '$1 == "fpr" { print $10; exit }'
}

# build_test_repo DIR [KEYNAME]: a signed apt repository of the cached .debs.
build_test_repo() {
	local dir=$1 key=${2:-test} lockfd f dest
	make_key "$key"
	mkdir -p "$dir/pool/main"
	# A shared lock: the cache must not be refilled while we link from it.
	exec {lockfd}>"$DEB_CACHE/.lock"
	flock -s "$lockfd"
	_deb_cache_complete || fail "the .deb cache $DEB_CACHE is incomplete"
	while read -r f; do
		# apt-get download names files name_EPOCH%3aVERSION_arch.deb; the
		# archive's pool has no epoch (and no '%', which a URL would decode).
		dest=$f
		[[ $f =~ ^([^_]+)_[0-9]+%3a(.*)$ ]] && dest=${BASH_REMATCH[1]}_${BASH_REMATCH[2]}
		ln "$DEB_CACHE/$f" "$dir/pool/main/$dest" 2>/dev/null ||
			cp "$DEB_CACHE/$f" "$dir/pool/main/$dest"
	done <"$DEB_STAMP"
	exec {lockfd}>&-
	repo_index "$dir"
	repo_sign "$dir" "$key"
}

# repo_index DIR: (re)write Packages, Packages.xz and Release.
repo_index() {
	local dir=$1 bin="dists/$SUITE/main/binary-amd64" r=APT::FTPArchive::Release
	mkdir -p "$dir/$bin"
	(cd "$dir" && apt-ftparchive packages pool/main >"$bin/Packages")
	xz -kf "$dir/$bin/Packages"
	# Written outside dists/ first: apt-ftparchive would index a half-written Release.
	(cd "$dir" && apt-ftparchive \
		-o "$r::Origin=vzpkg-test" -o "$r::Label=vzpkg-test" \
		-o "$r::Suite=$SUITE" -o "$r::Codename=$SUITE" \
		-o "$r::Architectures=amd64" -o "$r::Components=main" \
		-o "$r::Description=vzpkg integration test repository" \
		release "dists/$SUITE") >"$dir/Release.tmp"
	grep -q '^Date: ' "$dir/Release.tmp" || fail "apt-ftparchive wrote no Date"
	mv "$dir/Release.tmp" "$dir/dists/$SUITE/Release"
}

# repo_packages DIR: path of the repository's Packages index.
repo_packages() { echo "$1/dists/$SUITE/main/binary-amd64/Packages"; }

# repo_sign DIR KEYNAME: (re)sign Release as InRelease and Release.gpg.
repo_sign() {
	local d=$1/dists/$SUITE fpr
	make_key "$2"
	fpr=$(_key_fpr "$2")
	local opts=(--batch --yes --quiet --pinentry-mode loopback --passphrase ''
		--digest-algo SHA512 --local-user "$fpr")
	gpg "${opts[@]}" --clearsign -o "$d/InRelease" "$d/Release"
	gpg "${opts[@]}" --armor --detach-sign -o "$d/Release.gpg" "$d/Release"
}

# repo_unsign DIR: InRelease is the plain Release text; no Release.gpg.
repo_unsign() {
	local d=$1/dists/$SUITE
	cp "$d/Release" "$d/InRelease"
	rm -f "$d/Release.gpg"
}

# repo_corrupt_deb DIR PACKAGE same|longer: alter PACKAGE's .deb after
# indexing, keeping or changing its size.  Packages is not regenerated.
repo_corrupt_deb() {
	local file
	file=$(awk -v p="$2" '$1 == "Package:" { hit = ($2 == p) } hit && $1 == "Filename:" { print $2; exit }' \
		"$(repo_packages "$1")")
	[ -n "$file" ] || fail "package $2 is not in the test repository"
	python3 "$HELPERS" corrupt "$1/$file" "$3"
}

# ---------------------------------------------------------------------------
# HTTP.

free_port() { python3 "$HELPERS" free-port; }

# _stop_server PID: stop our server, checking first that PID still is it.
_stop_server() {
	grep -qa http.server "/proc/$1/cmdline" 2>/dev/null || return 0
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# serve DIR: serve DIR on 127.0.0.1; sets PORT.  Stopped on exit.
serve() {
	local dir=$1 port pid i _
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		# cd /: the server's cwd must not be below the temp dir (assert_no_leftovers).
		(cd / && exec python3 -m http.server --bind 127.0.0.1 "$port" --directory "$dir") \
			>>"$TEST_TMP/http.log" 2>&1 &
		pid=$!
		for i in $(seq 100); do
			if curl -fs --max-time 2 -o /dev/null "http://127.0.0.1:$port/"; then
				PORT=$port
				at_exit "_stop_server $pid"
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break # port taken meanwhile: try another
			sleep 0.1
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	fail "could not start an HTTP server for $dir"
}

# ---------------------------------------------------------------------------
# Common checks.

# setup_repo_env [PACKAGE...]: the usual start of a test: a test env, a
# signed repository served on 127.0.0.1 and the base template listing
# PACKAGE... (default apt).  Sets REPO as well as what make_env/make_template set.
setup_repo_env() {
	require_privileges
	require_vzpkg
	fetch_test_debs
	make_env
	REPO=$TEST_TMP/repo
	build_test_repo "$REPO"
	serve "$REPO"
	MIRROR=http://127.0.0.1:$PORT
	config_var TEST_MIRROR "$MIRROR"
	[ $# -gt 0 ] || set -- apt
	make_template default "$@"
}

# plant_cache OST: a pre-existing cache (archive and manifest) with known
# bytes, and a record of the cache dir, for check_cache_untouched.
plant_cache() {
	local c=$TEMPLATE/cache/$1
	head -c 4096 /dev/urandom >"$c.tar.zst"
	echo '{"template": "planted by the test"}' >"$c.json"
	sha256sum "$c.tar.zst" "$c.json" >"$TEST_TMP/planted.sha256"
	(cd "$TEMPLATE/cache" && find . -mindepth 1 | sort) >"$TEST_TMP/cache.before"
}

# check_cache_untouched: the planted files are byte-identical and nothing
# new appeared in the cache dir.
check_cache_untouched() {
	sha256sum --quiet -c "$TEST_TMP/planted.sha256" >/dev/null 2>&1 ||
		fail "the pre-existing cache was modified or removed"
	(cd "$TEMPLATE/cache" && find . -mindepth 1 | sort) >"$TEST_TMP/cache.after"
	cmp -s "$TEST_TMP/cache.before" "$TEST_TMP/cache.after" ||
		fail "the cache dir changed (< before, > after): $(diff_lines "$TEST_TMP/cache.before" "$TEST_TMP/cache.after")"
}

# Exit statuses (vzpkg.8, EXIT STATUS): vztt's numbers where vztt has one.
EXIT_HOOK=8 EXIT_NOT_ROOT=10 EXIT_NO_CT=16 EXIT_LOCKED=21 EXIT_STALE=22 EXIT_NOT_CACHED=23
EXIT_TEMPLATE=24 EXIT_BROKEN=25 EXIT_USAGE=35 EXIT_FORMAT=43 EXIT_DOWNLOAD=52 EXIT_PM=70
EXIT_CONFIG=80 EXIT_VERIFY=81 EXIT_CACHE=82 EXIT_RUNTIME=83 EXIT_RESTART=84

# check_error CODE OBJECT...: vzpkg exited with CODE and its stderr is exactly
# one line, starting "vzpkg: " and naming every OBJECT.
check_error() {
	local want=$1 line n
	shift
	[ "$RC" = "$want" ] || fail "exit code $RC, expected $want$(vzpkg_log)"
	n=$(grep -c '' "$ERR" || true)
	[ "$n" = 1 ] || fail "stderr has $n lines, expected exactly one error line$(vzpkg_log)"
	line=$(cat "$ERR")
	[[ $line == "vzpkg: "* ]] || fail "error line does not start with 'vzpkg: ': $line"
	for obj; do
		[[ $line == *"$obj"* ]] || fail "error line does not name '$obj': $line"
	done
}

# expect_create_failure CODE OBJECT...: the common body of a bad-input test:
# create cache -f over a planted cache fails with CODE naming OBJECT..., and
# leaves the planted cache and the host as they were.
expect_create_failure() {
	plant_cache "$OST"
	run_vzpkg -q create cache -f "$OST"
	check_error "$@"
	check_cache_untouched
	assert_no_leftovers
}

# unpack_cache FILE DIR
unpack_cache() {
	mkdir -p "$2"
	tar --zstd -xpf "$1" -C "$2" --numeric-owner || fail "cannot unpack $1"
}

# check_root_sane DIR: dpkg's audit is clean and apt-get runs in the root.
check_root_sane() {
	local out rc=0
	out=$(dpkg --root="$1" --audit 2>&1) || rc=$?
	[ "$rc" = 0 ] && [ -z "$out" ] || fail "dpkg --root=$1 --audit (exit $rc): $out"
	out=$(chroot "$1" apt-get --version 2>&1) || fail "chroot $1 apt-get --version: $out"
	[[ $out == apt\ * ]] || fail "chroot apt-get --version printed: $out"
}

# ---------------------------------------------------------------------------
# Cache lifecycle tests (test-lc-*.sh): configuration keys, a repository that
# publishes a new state, offline runs, the HTTP access log, the package cache.

# config_set KEY VALUE: set KEY=VALUE in the config, replacing an earlier one.
config_set() {
	local tmp=$CONF.tmp
	grep -v "^$1=" "$CONF" >"$tmp" || true
	printf '%s=%s\n' "$1" "$2" >>"$tmp"
	mv "$tmp" "$CONF"
}

# setup_lc_env [PACKAGE...]: setup_repo_env, with METADATA_EXPIRE=0 so that
# every run asks the repository (tests of expiry set their own value).
setup_lc_env() {
	setup_repo_env "$@"
	config_set METADATA_EXPIRE 0
}

# repo_field DIR PACKAGE FIELD: FIELD (Filename, Version, Architecture,
# SHA256, ...) of PACKAGE in DIR's Packages index; empty when absent.
repo_field() {
	awk -v p="$2" -v f="$3:" '$1 == "Package:" { hit = ($2 == p) } hit && $1 == f { print $2; exit }' \
		"$(repo_packages "$1")"
}

# repo_bump_package DIR PACKAGE SUFFIX: replace PACKAGE's .deb in DIR's pool
# by a rebuild of it whose Version is the old one with SUFFIX appended (the
# same files and maintainer scripts: a newer upload, as a mirror would
# publish it).  The index is not regenerated: call republish_repo.
repo_bump_package() {
	local dir=$1 pkg=$2 suffix=$3 file ver arch work new
	file=$(repo_field "$dir" "$pkg" Filename)
	ver=$(repo_field "$dir" "$pkg" Version)
	arch=$(repo_field "$dir" "$pkg" Architecture)
	[ -n "$file" ] && [ -n "$ver" ] || fail "package $pkg is not in the repository $dir"
	work=$TEST_TMP/bump/$pkg
	rm -rf "$work"
	mkdir -p "${work%/*}"
	dpkg-deb -R "$dir/$file" "$work" || fail "dpkg-deb -R $dir/$file failed"
	sed -i "s/^Version: .*/Version: $ver$suffix/" "$work/DEBIAN/control"
	grep -qx "Version: $ver$suffix" "$work/DEBIAN/control" || fail "could not set $pkg's version"
	# The pool has no epoch in file names (see build_test_repo).
	new=$dir/pool/main/${pkg}_${ver#*:}${suffix}_$arch.deb
	dpkg-deb -b "$work" "$new" >/dev/null || fail "dpkg-deb -b for $pkg failed"
	rm -rf "$work"
	# The pool file is a hard link into the shared .deb cache: unlink only.
	rm -f "$dir/$file"
}

# republish_repo DIR [KEYNAME]: re-index and re-sign DIR in place, as a
# mirror publishing a new state.  Waits for the next second first so that
# the Release Date and the files' mtimes (the server's Last-Modified, which
# conditional requests compare) are later than the previous state's.
republish_repo() {
	local dir=$1 key=${2:-test} d=$1/dists/$SUITE old=0
	[ ! -e "$d/InRelease" ] || old=$(stat -c %Y "$d/InRelease")
	while [ "$(date +%s)" -le "$old" ]; do sleep 0.2; done
	repo_index "$dir"
	repo_sign "$dir" "$key"
}

# repo_release_epoch DIR: the Release file's Date as seconds since the epoch.
repo_release_epoch() {
	date -d "$(sed -n 's/^Date: //p' "$1/dists/$SUITE/Release")" +%s
}

# http_log_mark: how many lines the HTTP servers' access log has now; give it
# to http_requests_since.
http_log_mark() {
	if [ -f "$TEST_TMP/http.log" ]; then wc -l <"$TEST_TMP/http.log"; else echo 0; fi
}

# http_requests_since MARK: "METHOD PATH STATUS" of every request the servers
# logged after MARK (python's http.server logs each request on stderr, which
# serve sends to $TEST_TMP/http.log).
http_requests_since() {
	sleep 0.3 # the server logs a request after answering it
	[ -f "$TEST_TMP/http.log" ] || return 0
	tail -n +"$(($1 + 1))" "$TEST_TMP/http.log" |
		sed -nE 's/^[^"]*"([A-Z]+) ([^ ]+) HTTP\/[0-9.]+" ([0-9]+) .*/\1 \2 \3/p'
}

# require_offline_netns: skip unless unshare -n works; fail when the test's
# server can still be reached from a new network namespace.
require_offline_netns() {
	unshare -n true 2>/dev/null || skip "network namespaces unavailable (unshare -n true failed)"
	! unshare -n curl -fs --max-time 3 -o /dev/null "$MIRROR/" 2>/dev/null ||
		fail "$MIRROR answers from inside 'unshare -n'; cannot test offline runs"
}

# run_vzpkg_offline ARGS...: run_vzpkg in a new network namespace whose only
# interface is a loopback that is down: no server, not even the test's
# 127.0.0.1 one, can be reached.
run_vzpkg_offline() {
	RC=0
	timeout -k 10 "${VZPKG_TEST_TIMEOUT:-600}" unshare -n "$VZPKG" -c "$CONF" "$@" >"$OUT" 2>"$ERR" || RC=$?
	[ "$RC" != 124 ] || fail "vzpkg $* (offline) timed out; stderr: $(tail -n 20 "$ERR")"
}

# pkg_cache_files: the package cache's .deb files, relative to $PKG_CACHE, sorted.
pkg_cache_files() {
	[ -d "$PKG_CACHE/sha256" ] || return 0
	(cd "$PKG_CACHE" && find sha256 -type f -name '*.deb' | sort)
}

# check_pkg_cache_layout: every file below $PKG_CACHE/sha256 is
# sha256/<ab>/<sha256>.deb with <ab> the first two digits of <sha256>, and
# its content has that SHA-256.
check_pkg_cache_layout() {
	local f sha bad=
	[ -d "$PKG_CACHE/sha256" ] || return 0
	while read -r f; do
		if [[ ! $f =~ ^sha256/([0-9a-f]{2})/([0-9a-f]{64})\.deb$ ]] ||
			[ "${BASH_REMATCH[1]}" != "${BASH_REMATCH[2]:0:2}" ]; then
			bad+=" $f(name)"
			continue
		fi
		sha=$(sha256sum <"$PKG_CACHE/$f" | cut -d' ' -f1)
		[ "$sha" = "${BASH_REMATCH[2]}" ] || bad+=" $f(content $sha)"
	done < <(cd "$PKG_CACHE" && find sha256 -mindepth 1 ! -type d | sort)
	[ -z "$bad" ] || fail "package cache files not of the form sha256/<ab>/<sha256>.deb with that content:$bad"
}

# cache_snapshot OST NAME: record the cache's bytes and mtime and the cache
# dir's listing as NAME, for cache_unchanged.
cache_snapshot() {
	local c=$TEMPLATE/cache/$1.tar.zst
	{
		sha256sum "$c"
		stat -c 'mtime %y' "$c"
		(cd "$TEMPLATE/cache" && find . -mindepth 1 | sort)
	} >"$TEST_TMP/snapshot.$2"
}

# cache_unchanged OST NAME: true when the cache and its dir are as recorded.
cache_unchanged() {
	local now=$TEST_TMP/snapshot.$2.now
	cache_snapshot "$1" "$2.now"
	cmp -s "$TEST_TMP/snapshot.$2" "$now"
}

# cache_snapshot_diff NAME: what changed since cache_snapshot (for messages).
cache_snapshot_diff() { diff_lines "$TEST_TMP/snapshot.$1" "$TEST_TMP/snapshot.$1.now"; }

# ---------------------------------------------------------------------------
# RPM tests (test-rpm-*.sh): the vztest RPM distribution (rpm/specs, built at
# test time by rpm/build-rpm-repo.sh from the host's static busybox, signed
# with a throwaway key) served on 127.0.0.1, and the RPM template
# vztest-1-x86_64 that uses it.  See rpm/README.md.

RPM_TOOLS=$LIB_DIR/rpm
RPM_HELPERS=$RPM_TOOLS/rpm-helpers.py
RPM_OST=vztest-1-x86_64
# The packages the template lists.  vzt-old is in version 1 of the
# distribution only; version 2's vzt-new obsoletes and provides it.
RPM_TEMPLATE_PACKAGES=(vzt-filesystem vzt-setup vzt-shell vzt-foo-tools vzt-rich vzt-watcher vzt-old)

# require_rpm_tools: skip unless the distribution can be built here.
require_rpm_tools() {
	local t
	[ "$(uname -m)" = x86_64 ] ||
		skip "the vztest RPM distribution is x86_64 only (it packages the host's busybox)"
	for t in rpm rpmbuild rpmsign rpmkeys createrepo_c gpg gpgconf; do
		command -v "$t" >/dev/null || skip "$t is not installed (packages rpm, createrepo-c, gnupg)"
	done
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
		skip "no static /bin/busybox (package busybox-static)"
}

# build_rpm_repo VERSION: build version VERSION (1 or 2) of the distribution
# into $RPM_REPO, signed with the key in $RPM_KEYS; over an earlier version
# this publishes the new state (unchanged packages keep their files).
build_rpm_repo() {
	"$RPM_TOOLS/build-rpm-repo.sh" "$RPM_REPO" "$1" "$RPM_KEYS" >>"$TEST_TMP/rpm-build.log" 2>&1 ||
		fail "build-rpm-repo.sh $RPM_REPO $1 failed: $(tail -n 20 "$TEST_TMP/rpm-build.log")"
	RPM_VERSION=$1
}

# rpm_repo_variant VARIANT [PACKAGE]: make $RPM_REPO bad in one way (unsigned,
# wrong-key, tamper, repomd-wrong-key, repomd-modified; see rpm/repo-variant.sh).
rpm_repo_variant() {
	"$RPM_TOOLS/repo-variant.sh" "$1" "$RPM_REPO" "$RPM_VERSION" "$RPM_KEYS" "${@:2}" \
		>>"$TEST_TMP/rpm-build.log" 2>&1 ||
		fail "repo-variant.sh $* failed: $(tail -n 20 "$TEST_TMP/rpm-build.log")"
}

# make_rpm_template PACKAGE...: the RPM template vztest-1-x86_64 listing
# PACKAGE..., with the repository $TEST_RPM_MIRROR/ and the key
# RPM-GPG-KEY-vzt.  Sets TDIR and OST.
make_rpm_template() {
	TDIR=$TEMPLATE/vztest/1/x86_64/config/os/default
	OST=$RPM_OST
	mkdir -p "$TDIR/gpgkeys"
	printf '%s\n' "$@" >"$TDIR/packages"
	echo rpm4x64 >"$TDIR/package_manager"
	echo vztest >"$TDIR/distribution"
	# shellcheck disable=SC2016 # a template variable, expanded by vzpkg
	echo '$TEST_RPM_MIRROR/' >"$TDIR/repositories"
	cp "$RPM_KEYS/RPM-GPG-KEY-vzt" "$TDIR/gpgkeys/RPM-GPG-KEY-vzt"
	printf 'RPM_INSTALL_LANGS=C\nRPM_NODOCS=1\n' >"$TDIR/environment"
}

# setup_rpm_env [PACKAGE...]: the usual start of an RPM test: a test env,
# version 1 of the distribution in $RPM_REPO (keys in $RPM_KEYS) served on
# 127.0.0.1 as $RPM_MIRROR (the config's $TEST_RPM_MIRROR), and the template
# listing PACKAGE... (default: RPM_TEMPLATE_PACKAGES).
setup_rpm_env() {
	require_privileges
	require_vzpkg
	require_rpm_tools
	make_env
	RPM_KEYS=$TEST_TMP/rpm-keys
	RPM_REPO=$TEST_TMP/www/vztest/1/x86_64/os
	build_rpm_repo 1
	serve "$TEST_TMP/www"
	RPM_MIRROR=http://127.0.0.1:$PORT/vztest/1/x86_64/os
	config_var TEST_RPM_MIRROR "$RPM_MIRROR"
	[ $# -gt 0 ] || set -- "${RPM_TEMPLATE_PACKAGES[@]}"
	make_rpm_template "$@"
}

# rpm_repo_files: the repository's .rpm files.
rpm_repo_files() { find "$RPM_REPO/Packages" -name '*.rpm' | sort; }

# rpm_repo_query: the repository's packages, for rpm-helpers.py rpm-closure.
rpm_repo_query() {
	# shellcheck disable=SC2046
	rpm -qp --nosignature --nodigest \
		--qf 'N %{NAME} %{ARCH}\n[P %{PROVIDENAME}\n][R %{REQUIRENAME}\n][F %{FILENAMES}\n]' \
		$(rpm_repo_files)
}

# rpm_expected_set NAME...: the sorted names of the packages a resolver must
# install for NAME... from the repository, computed from the packages' own
# dependencies (not by asking vzpkg).
rpm_expected_set() {
	local q=$TEST_TMP/rpm-repo.query out
	rpm_repo_query >"$q"
	out=$(python3 "$RPM_HELPERS" rpm-closure "$q" "$@") ||
		fail "cannot resolve $* in the test repository: $out"
	echo "$out"
}

# RPM_EVR: rpm's query format for [epoch:]version-release.
RPM_EVR='%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}'

# rpm_repo_sums: 'sha256 name arch evr path' of each .rpm of the repository.
rpm_repo_sums() {
	local f
	for f in $(rpm_repo_files); do
		printf '%s %s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" \
			"$(rpm -qp --nosignature --nodigest --qf "%{NAME} %{ARCH} $RPM_EVR" "$f")" "${f#"$RPM_REPO"/}"
	done
}

# rpm_root_db ROOT: sets RPMDB to the rpm options that query the database of
# the (unpacked) root ROOT: --root ROOT --dbpath DIR, DIR being where the
# database is (/var/lib/rpm, or /usr/lib/sysimage/rpm).  The host rpm's own
# default dbpath is not used: Debian's is ~/.rpmdb.
rpm_root_db() {
	local root=$1 d f
	for d in /var/lib/rpm /usr/lib/sysimage/rpm; do
		for f in rpmdb.sqlite Packages Packages.db; do
			if [ -f "$root$d/$f" ]; then
				RPMDB=(--root "$root" --dbpath "$d")
				return 0
			fi
		done
	done
	fail "no rpm database in $root/var/lib/rpm or $root/usr/lib/sysimage/rpm; rpm databases found: $(find "$root" \( -name 'rpmdb.sqlite' -o -name 'Packages' -o -name 'Packages.db' \) -printf '/%P ' 2>/dev/null)"
}

# rpm_installed: 'name arch [epoch:]version-release' of each package in the
# database $RPMDB names (not the gpg-pubkey pseudo-packages), sorted.
rpm_installed() {
	rpm "${RPMDB[@]}" -qa --qf "%{NAME} %{ARCH} $RPM_EVR\n" | grep -v '^gpg-pubkey ' | LC_ALL=C sort
}

# check_rpm_root ROOT VERSION PACKAGE...: the unpacked cache ROOT is what
# version VERSION of the repository must give for the template listing
# PACKAGE...: exactly the resolved set installed, rpm -Va clean, the
# scriptlet and trigger ran, the template's key (and no other) imported,
# templates/vzpackages lists each installed package, and the manifest
# $TEMPLATE/cache/$OST.json matches the repository's files.
check_rpm_root() {
	local root=$1 version=$2 out rc=0 want got fpr keyid created
	shift 2
	rpm_root_db "$root"
	rpm_expected_set "$@" >"$TEST_TMP/expected.$version"
	rpm "${RPMDB[@]}" -qa --qf '%{NAME}\n' | grep -vx gpg-pubkey | LC_ALL=C sort >"$TEST_TMP/names.$version" ||
		fail "rpm ${RPMDB[*]} -qa failed"
	cmp -s "$TEST_TMP/expected.$version" "$TEST_TMP/names.$version" ||
		fail "installed packages differ from the resolved set (< expected, > installed):
$(diff_lines "$TEST_TMP/expected.$version" "$TEST_TMP/names.$version")"

	out=$(rpm "${RPMDB[@]}" -Va 2>&1) || rc=$?
	[ "$rc" = 0 ] && [ -z "$out" ] || fail "rpm ${RPMDB[*]} -Va (exit $rc): $(head -n 20 <<<"$out")"

	[ "$(cat "$root/var/lib/vzt/foo-tools.post" 2>/dev/null)" = post-ran ] ||
		fail "vzt-foo-tools' %post did not run: /var/lib/vzt/foo-tools.post is $(cat "$root/var/lib/vzt/foo-tools.post" 2>&1)"
	[ -e "$root/var/lib/vzt/trigger.ran" ] ||
		fail "vzt-watcher's trigger on vzt-foo-tools did not run: no /var/lib/vzt/trigger.ran"

	# The key: gpg-pubkey-<last 8 hex digits of the key id>-<creation time in hex>.
	[ -d "$TEST_TMP/gnupg-show" ] || mkdir -m 700 "$TEST_TMP/gnupg-show"
	read -r keyid created < <(GNUPGHOME=$TEST_TMP/gnupg-show gpg --batch --with-colons \
		--show-keys "$TDIR/gpgkeys/RPM-GPG-KEY-vzt" 2>/dev/null |
		awk -F: '$1 == "pub" { print tolower(substr($5, 9)), $6; exit }')
	[ -n "$keyid" ] || fail "gpg cannot read the template's key $TDIR/gpgkeys/RPM-GPG-KEY-vzt"
	want="gpg-pubkey-$keyid-$(printf '%08x' "$created")"
	got=$(rpm "${RPMDB[@]}" -q gpg-pubkey --qf '%{NAME}-%{VERSION}-%{RELEASE}\n' 2>&1) ||
		fail "no key imported into the rpm database (rpm -q gpg-pubkey: $got)"
	[ "$got" = "$want" ] || fail "rpm -q gpg-pubkey gives '$(tr '\n' ' ' <<<"$got")', expected exactly the template's key $want"

	# templates/vzpackages: " name arch [epoch:]version-release" per package.
	[ -s "$root/templates/vzpackages" ] || fail "no templates/vzpackages in the cache"
	out=$(grep -vE '^ [^ ]+ [^ ]+ ([0-9]+:)?[^ :-]+-[^ :-]+$' "$root/templates/vzpackages" | head -n 3) || true
	[ -z "$out" ] || fail "vzpackages lines not of the form ' name arch [epoch:]version-release': $out"
	rpm_installed >"$TEST_TMP/installed.$version"
	sed 's/^ //' "$root/templates/vzpackages" | grep -v '^gpg-pubkey ' | LC_ALL=C sort >"$TEST_TMP/vzpackages.$version"
	cmp -s "$TEST_TMP/installed.$version" "$TEST_TMP/vzpackages.$version" ||
		fail "vzpackages differs from the rpm database (< rpm -qa, > vzpackages):
$(diff_lines "$TEST_TMP/installed.$version" "$TEST_TMP/vzpackages.$version")"

	rpm_repo_sums >"$TEST_TMP/repo-sums.$version"
	out=$(python3 "$RPM_HELPERS" check-rpm-manifest "$TEMPLATE/cache/$OST.json" \
		"$TEST_TMP/repo-sums.$version" "$TEST_TMP/installed.$version" "$OST" "$RPM_MIRROR") ||
		fail "manifest $OST.json: $(head -n 20 <<<"$out")"
}

# ---------------------------------------------------------------------------
# Container tests (test-ct-*.sh): containers as vzctl knows them
# ($CONF_DIR/CTID.conf and a private area), made by vzpkg create ct from the
# test template's cache, all inside the test's temp dir.

# setup_ct_env [N]: the container keys in the config: CONF_DIR=$CT_CONF,
# VE_PRIVATE=$CT_PRIVATE/$VEID and PARALLEL_CONTAINERS=N (default 2).
setup_ct_env() {
	CT_CONF=$TEST_TMP/ct-conf
	CT_PRIVATE=$TEST_TMP/private
	config_set CONF_DIR "$CT_CONF"
	# shellcheck disable=SC2016 # $VEID is expanded by vzpkg
	config_set VE_PRIVATE "$CT_PRIVATE/"'$VEID'
	config_set PARALLEL_CONTAINERS "${1:-2}"
}

# ct_private CTID, ct_conf CTID: the container's private area and config.
ct_private() { echo "$CT_PRIVATE/$1"; }
ct_conf() { echo "$CT_CONF/$1.conf"; }

# ct_conf_get CTID KEY: KEY's value in the container's config (the last
# KEY= line, surrounding quotes removed); empty when absent.
ct_conf_get() {
	sed -n "s/^$2=//p" "$(ct_conf "$1")" | tail -n 1 | sed -E "s/^\"(.*)\"\$/\\1/; s/^'(.*)'\$/\\1/"
}

# ct_has_app CTID APP: the config's TEMPLATES lists .APP.
ct_has_app() { [[ " $(ct_conf_get "$1" TEMPLATES) " == *" .$2 "* ]]; }

# create_cts OST CTID...: vzpkg create ct each CTID from OST; the config
# must then name OST, the private area and the distribution of the template
# in $TDIR, and the private area hold templates/vzpackages.
create_cts() {
	local ost=$1 id v dist
	shift
	dist=$(cat "$TDIR/distribution")
	for id; do
		run_vzpkg create ct "$id" --ostemplate "$ost"
		[ "$RC" = 0 ] || fail "vzpkg create ct $id --ostemplate $ost exited $RC$(vzpkg_log)"
		[ -f "$(ct_conf "$id")" ] || fail "create ct $id wrote no $(ct_conf "$id")"
		v=$(ct_conf_get "$id" OSTEMPLATE)
		[ "$v" = ".$ost" ] || fail "$(ct_conf "$id"): OSTEMPLATE is '$v', expected '.$ost'"
		v=$(ct_conf_get "$id" VE_PRIVATE)
		[ "$v" = "$(ct_private "$id")" ] || fail "$(ct_conf "$id"): VE_PRIVATE is '$v', expected '$(ct_private "$id")'"
		v=$(ct_conf_get "$id" DISTRIBUTION)
		[ "$v" = "$dist" ] || fail "$(ct_conf "$id"): DISTRIBUTION is '$v', expected '$dist'"
		[ -s "$(ct_private "$id")/templates/vzpackages" ] ||
			fail "container $id has no templates/vzpackages in $(ct_private "$id")"
	done
}

# make_app_template APP PACKAGE...: the application template APP (set
# default) of the OS template whose config/os/default is $TDIR, listing
# PACKAGE...  Sets ADIR to its directory.
make_app_template() {
	local app=$1
	shift
	ADIR=${TDIR%/os/*}/app/$app/default
	mkdir -p "$ADIR"
	printf '%s\n' "$@" >"$ADIR/packages"
}

# add_app_hook NAME BODY: an executable hook script NAME in $ADIR.
add_app_hook() {
	printf '#!/bin/bash\n%s\n' "$2" >"$ADIR/$1"
	chmod 755 "$ADIR/$1"
}

# tree_manifest DIR OUT [content]: one line per entry of the tree DIR (path,
# type, size (not for directories: file system specific), mode, owner,
# mtime in ns, symlink target), sorted, into OUT; with "content" also the
# SHA-256 of every regular file.
tree_manifest() {
	(cd "$1" && find . -printf '%p\t%y\t%s\t%m\t%U:%G\t%T@\t%l\n' |
		awk -F'\t' -v OFS='\t' '$2 == "d" { $3 = "-" } 1' | LC_ALL=C sort) >"$2"
	if [ "${3:-}" = content ]; then
		(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum) >>"$2"
	fi
}

# ct_block FILE CTID: the lines of vzpkg's human summary in FILE about CTID
# ("container CTID: ..." and the indented lines that follow it).
ct_block() {
	awk -v h="container $2: " 'index($0, h) == 1 { on = 1; print; next } /^[^ ]/ { on = 0 } on' "$1"
}

# ct_json_facts FILE: check a container command's --json summary (an array
# of objects with ct, ostemplate, install [{name, arch, version}], remove
# [{name, version}], current, result, message, rolled_back) and print it one
# fact a line, sorted:
#     CTID current|pending RESULT rolled_back|-
#     CTID install NAME VERSION
#     CTID remove NAME VERSION
# When the shape is wrong, print the problems instead and exit 1.
ct_json_facts() {
	python3 - "$1" <<-'PY'
		import json, sys
		try:
		    data = json.load(open(sys.argv[1], encoding="utf-8"))
		except (OSError, ValueError) as e:
		    print(f"not JSON: {e}")
		    sys.exit(1)
		if not isinstance(data, list):
		    print(f"top level is {type(data).__name__}, expected an array")
		    sys.exit(1)
		problems, facts = [], []
		for o in data:
		    if not isinstance(o, dict) or not isinstance(o.get("ct"), str):
		        problems.append(f"element without a string 'ct': {o!r}")
		        continue
		    ct = o["ct"]
		    for k, t in (("ostemplate", str), ("install", list), ("remove", list), ("current", bool),
		                 ("result", int), ("message", str), ("rolled_back", bool)):
		        if not isinstance(o.get(k), t) or (t is int and isinstance(o.get(k), bool)):
		            problems.append(f"{ct}: '{k}' is {o.get(k)!r}, expected {t.__name__}")
		    if problems:
		        continue
		    facts.append(f"{ct} {'current' if o['current'] else 'pending'} {o['result']} "
		                 f"{'rolled_back' if o['rolled_back'] else '-'}")
		    for k, want in (("install", ("name", "arch", "version")), ("remove", ("name", "version"))):
		        for e in o[k]:
		            if not isinstance(e, dict) or any(not isinstance(e.get(f), str) for f in want):
		                problems.append(f"{ct}: {k} entry {e!r} lacks string fields {want}")
		            else:
		                facts.append(f"{ct} {k} {e['name']} {e['version']}")
		if problems:
		    print("\n".join(problems))
		    sys.exit(1)
		print("\n".join(sorted(facts)))
	PY
}

# ct_check_deb CTID: the Debian container is sane (dpkg --audit empty, apt
# runs) and its templates/vzpackages lists exactly what dpkg has installed
# (left in $TEST_TMP/installed.CTID as sorted "name arch version" lines).
ct_check_deb() {
	local root
	root=$(ct_private "$1")
	check_root_sane "$root"
	python3 "$HELPERS" installed "$root/var/lib/dpkg/status" | LC_ALL=C sort >"$TEST_TMP/installed.$1"
	sed 's/^ //' "$root/templates/vzpackages" | LC_ALL=C sort >"$TEST_TMP/vzpackages.$1"
	cmp -s "$TEST_TMP/installed.$1" "$TEST_TMP/vzpackages.$1" ||
		fail "container $1: templates/vzpackages differs from the dpkg database (< dpkg, > vzpackages):
$(diff_lines "$TEST_TMP/installed.$1" "$TEST_TMP/vzpackages.$1")"
}

# deb_installed_version CTID PACKAGE: the version dpkg has installed in the
# container (empty when not installed).
deb_installed_version() {
	python3 "$HELPERS" installed "$(ct_private "$1")/var/lib/dpkg/status" | awk -v p="$2" '$1 == p { print $3 }'
}

# uninstalled_pkg CTID PACKAGE...: the first PACKAGE the repository $REPO
# has and the Debian container CTID has not installed; fails when none.
uninstalled_pkg() {
	local ct=$1 p
	shift
	for p; do
		if [ -n "$(repo_field "$REPO" "$p" Filename)" ] && [ -z "$(deb_installed_version "$ct" "$p")" ]; then
			echo "$p"
			return 0
		fi
	done
	fail "none of $* is in the repository and not installed in container $ct"
}

# ct_check_rpm CTID: rpm -Va is clean in the RPM container and its
# templates/vzpackages lists exactly the rpm database's packages (left in
# $TEST_TMP/installed.CTID as sorted "name arch evr" lines, keys left out).
ct_check_rpm() {
	local root out rc=0
	root=$(ct_private "$1")
	rpm_root_db "$root"
	out=$(rpm "${RPMDB[@]}" -Va 2>&1) || rc=$?
	[ "$rc" = 0 ] && [ -z "$out" ] || fail "container $1: rpm ${RPMDB[*]} -Va (exit $rc): $(head -n 20 <<<"$out")"
	rpm_installed >"$TEST_TMP/installed.$1"
	sed 's/^ //' "$root/templates/vzpackages" | grep -v '^gpg-pubkey ' | LC_ALL=C sort >"$TEST_TMP/vzpackages.$1"
	cmp -s "$TEST_TMP/installed.$1" "$TEST_TMP/vzpackages.$1" ||
		fail "container $1: templates/vzpackages differs from the rpm database (< rpm -qa, > vzpackages):
$(diff_lines "$TEST_TMP/installed.$1" "$TEST_TMP/vzpackages.$1")"
}

# ct_no_leftovers: assert_no_leftovers, and no snapshot or failed-root
# directory of a container transaction left beside the private areas.
ct_no_leftovers() {
	local left
	assert_no_leftovers
	left=$(find "$CT_PRIVATE" -mindepth 1 -maxdepth 1 -name '*.vzpkg-*' 2>/dev/null)
	[ -z "$left" ] || fail "container transaction left behind: $left"
}

# ct_hold_lock CTID SECONDS: hold the container's lock ($LOCK_DIR/ct-CTID.lock)
# as another vzpkg would, for SECONDS, in the background; returns once it is
# held.  Sets HOLD_PID (flock, which ends when it lets go).
ct_hold_lock() {
	local ready=$TEST_TMP/lock-held.$1 i
	rm -f "$ready"
	(cd / && exec flock -x "$LOCK_DIR/ct-$1.lock" sh -c 'touch "$1"; sleep "$2"' sh "$ready" "$2") &
	HOLD_PID=$!
	at_exit "wait $HOLD_PID 2>/dev/null"
	for i in $(seq 100); do
		[ ! -e "$ready" ] || return 0
		sleep 0.05
	done
	fail "flock could not take $LOCK_DIR/ct-$1.lock"
}
