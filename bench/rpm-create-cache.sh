#!/usr/bin/env bash
# Benchmark: build the root filesystem archive of the RPM test template
# vztest-1-x86_64 with
#   - vzpkg, cold  (empty package cache and empty metadata cache),
#   - vzpkg, warm  (package and metadata caches kept from the run before),
#   - dnf --installroot, cold (empty dnf cache) and warm (dnf cache kept),
#     followed by tar --zstd of the installroot (timed with it: vzpkg packs too),
# from the same local, signed RPM repository, N times each, interleaved.
#
# The repository is the vztest distribution of the integration tests, built
# here by tests/integration/rpm/build-rpm-repo.sh (signed packages and a
# signed repomd.xml, throwaway key) and served on 127.0.0.1 by Python's
# http.server. Everything (repository, keys, template area, caches, temp,
# locks, logs, outputs) lives in one bench directory that is removed on exit;
# /vz is never touched. No network access is needed.
#
# Usage: bench/rpm-create-cache.sh [-n N] [--vzpkg PATH] [--only LIST]
#                                  [--backlog N] [--workdir DIR] [--keep] [--json]
set -euo pipefail
export LC_ALL=C   # '.' as decimal point in printf/awk, plain sort order

readonly OST=vztest-1-x86_64               # the template vzpkg builds
readonly OST_DIR=vztest/1/x86_64           # its place in the template area
readonly DIST_VERSION=1                    # version of the vztest distribution built
readonly PACKAGES=(vzt-filesystem vzt-setup vzt-shell vzt-foo-tools vzt-rich vzt-watcher vzt-old)
readonly TARGET_COLD=0.25                  # vzpkg-cold / dnf-cold, at most (issue 13)
readonly TARGET_WARM=0.25                  # vzpkg-warm / dnf-warm, at most (issue 13)

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
RPM_TOOLS=$REPO_ROOT/tests/integration/rpm
only=cold,warm,dnf-cold,dnf-warm
backlog=128
value_option --only only "a list"
value_option --backlog backlog "a number"

usage() {
	cat <<EOF
Usage: $0 [options]

Times 'vzpkg create cache -f $OST' (cold and warm caches) against
'dnf --installroot=DIR install ...' plus 'tar --zstd -cf DIR.tar.zst -C DIR .'
(cold and warm dnf cache), from the same local signed RPM repository.

  -n N             repetitions of each kind (default $reps), run interleaved
  --vzpkg PATH     vzpkg binary (default: build/vzpkg/vzpkg in the repo)
  --only LIST      comma-separated subset of cold,warm,dnf-cold,dnf-warm (default: all)
  --backlog N      listen backlog of the HTTP server (default $backlog; 5 is what
                   'python3 -m http.server' uses)
  --workdir DIR    where to create the bench directory (default: \$TMPDIR or /var/tmp)
  --keep           keep the bench directory (logs, caches, repository, config) and print its path
  --json           print the results as JSON on stdout (progress stays on stderr)
  -h, --help       this text

The repository is built by tests/integration/rpm/build-rpm-repo.sh and served on
127.0.0.1; no network access is needed. Must run as root.
EOF
}

parse_options "$@"
[[ $backlog =~ ^[1-9][0-9]*$ ]] || die "--backlog wants a positive integer, got '$backlog'"
select_kinds "$only" cold warm dnf-cold dnf-warm   # the interleaving order
want_dnf() { want dnf-cold || want dnf-warm; }

# ---------------------------------------------------------------- preconditions
need_root "vzpkg and dnf --installroot need it to build a root filesystem"
[[ $(uname -m) == x86_64 ]] || die "the vztest RPM distribution is x86_64 only (it packages the host's busybox)"

for t in rpm:rpm rpmbuild:rpm rpmsign:rpm rpmkeys:rpm createrepo_c:createrepo-c gpg:gnupg gpgconf:gnupg \
	python3:python3 zstd:zstd curl:curl; do
	command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}")
done
want_dnf && ! command -v dnf >/dev/null && missing+=(dnf)
[[ -x /usr/bin/time ]] || missing+=(time)
{ [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1; } || missing+=(busybox-static)
if ((${#missing[@]})); then mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u); fi
exit_if_missing
[[ -x $RPM_TOOLS/build-rpm-repo.sh && -x $RPM_TOOLS/repo-variant.sh ]] ||
	die "no $RPM_TOOLS/build-rpm-repo.sh or repo-variant.sh (the vztest RPM distribution of the integration tests)"

if want_vzpkg; then check_vzpkg; fi

# --------------------------------------------------------------- bench area
make_bench vzpkg-rpm-bench
server_pid=""  # the HTTP server

stop_server() {
	[[ -n $server_pid ]] || return 0
	if grep -qa http.server "/proc/$server_pid/cmdline" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	server_pid=""
}

# dnf (through gpgme) starts a gpg-agent for the repository keyring in its
# cachedir (CACHEDIR/REPO-ID/pubring) for repo_gpgcheck and leaves it running:
# stop those before their directory goes.
stop_dnf_agents() {   # DIR: stop the agents of the keyrings below DIR
	local d
	for d in "$1"/*/pubring; do
		if [[ -d $d ]]; then gpgconf --homedir "$d" --kill gpg-agent 2>/dev/null || true; fi
	done
}

# On exit, after the running step is stopped (see cleanup).
cleanup_more() {
	local d
	stop_server
	if [[ -d ${BENCH:-} ]]; then
		for d in "$BENCH/dnf-cache" "$BENCH"/sigcheck/*/cache; do stop_dnf_agents "$d"; done
	fi
}

WWW=$BENCH/repo           # the RPM repository, served as http://127.0.0.1:PORT/
KEYDIR=$BENCH/keys        # its throwaway signing key; RPM-GPG-KEY-vzt is the public one
DNF_CACHE=$BENCH/dnf-cache   # dnf's cachedir: metadata, packages, repository keyring
DNF_HOME=$BENCH/dnf-home     # HOME for dnf: its .rpmmacros (see below)
DNF_CONF=$BENCH/dnf.conf     # an empty dnf.conf, so that the host's is not read
OUT=$BENCH/out               # dnf installroots and their tarballs
CHECK=$BENCH/check           # rpm databases taken out of the archives
HTTP_LOG=$BENCH/http.log
mkdir -p "$DNF_CACHE" "$DNF_HOME" "$OUT" "$CHECK"
merged_logs=1                # runs/LABEL.log: each run's stdout and stderr

# ------------------------------------------------------------- repository
note "bench directory: $BENCH"
note "building the vztest RPM repository (untimed)..."
"$RPM_TOOLS/build-rpm-repo.sh" "$WWW" "$DIST_VERSION" "$KEYDIR" >"$RUNLOG/build-repo.log" 2>&1 ||
	die "build-rpm-repo.sh failed: $(tail -n 20 "$RUNLOG/build-repo.log")"
KEY=$KEYDIR/RPM-GPG-KEY-vzt
[[ -s $KEY && -s $WWW/repodata/repomd.xml.asc ]] || die "build-rpm-repo.sh made no key $KEY or no signed repomd.xml"
repo_rpms=$(find "$WWW/Packages" -name '*.rpm' | wc -l)

# Python's http.server, run as 'python3 -m http.server' runs it, but with a
# listen backlog of $backlog instead of socketserver's 5: vzpkg opens up to
# PARALLEL_DOWNLOADS (8) connections at once, the kernel drops the SYNs that
# do not fit into the backlog, and each dropped one costs a 1 s retransmit, which
# a real mirror (or dnf, with 3 parallel downloads) never sees.
SERVER_PY='import runpy, socketserver, sys
socketserver.TCPServer.request_queue_size = int(sys.argv.pop(1))
runpy.run_module("http.server", run_name="__main__", alter_sys=True)'
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
start_server() {
	local port i _
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		# cd /: the server's cwd must not be below the bench directory.
		(cd / && exec python3 -c "$SERVER_PY" "$backlog" --bind 127.0.0.1 --directory "$WWW" "$port") \
			>>"$HTTP_LOG" 2>&1 &
		server_pid=$!
		for ((i = 0; i < 100; i++)); do
			if curl -fs --max-time 2 -o /dev/null "http://127.0.0.1:$port/repodata/repomd.xml"; then
				PORT=$port
				return 0
			fi
			kill -0 "$server_pid" 2>/dev/null || break   # port taken meanwhile: try another
			sleep 0.1
		done
		stop_server
	done
	die "could not start an HTTP server for $WWW (see $HTTP_LOG; --keep keeps it)"
}
start_server
URL=http://127.0.0.1:$PORT/

# --------------------------------------------------------------- vzpkg setup
# The template of the integration tests (tests/integration/lib.sh,
# make_rpm_template), with the repository's URL written in.
TDIR=$TPL/$OST_DIR/config/os/default
mkdir -p "$TDIR/gpgkeys" "$TPL/cache"
printf '%s\n' "${PACKAGES[@]}" >"$TDIR/packages"
echo rpm4x64 >"$TDIR/package_manager"
echo vztest >"$TDIR/distribution"
echo "$URL" >"$TDIR/repositories"
cp "$KEY" "$TDIR/gpgkeys/RPM-GPG-KEY-vzt"
# No documentation and only the C locale's files: dnf gets --nodocs and
# %_install_langs C (below), so that both tools install the same files.
printf 'RPM_INSTALL_LANGS=C\nRPM_NODOCS=1\n' >"$TDIR/environment"
write_vzpkg_conf METADATA_EXPIRE=0

# ----------------------------------------------------------------- dnf setup
# An empty configuration file instead of the host's /etc/dnf/dnf.conf
# (--config=/dev/null is refused: "does not exist"); no repository files, no
# variables, no plugins from the host.
printf '# empty: bench/rpm-create-cache.sh does not want the host'"'"'s dnf.conf\n[main]\n' >"$DNF_CONF"
# Debian's rpm has %_dbpath ~/.rpmdb, so dnf --installroot=DIR would put the
# rpm database into DIR/root/.rpmdb. With HOME pointing here, ~/.rpmmacros
# gives it the place an RPM distribution has, DIR/var/lib/rpm (where vzpkg
# puts it), and the same %_install_langs as the template's RPM_INSTALL_LANGS.
printf '%%_dbpath /var/lib/rpm\n%%_install_langs C\n' >"$DNF_HOME/.rpmmacros"

# dnf_args ROOT REPO_URL CACHEDIR: dnf's options, fully (without the leading "dnf").
dnf_args() {
	DNF_ARGS=(-y "--config=$DNF_CONF" --noplugins "--installroot=$1" --releasever=1
		--setopt=reposdir=/dev/null --setopt=varsdir=
		"--repofrompath=vzt,$2"
		--setopt=vzt.gpgcheck=1 --setopt=vzt.repo_gpgcheck=1 "--setopt=vzt.gpgkey=file://$KEY"
		"--setopt=cachedir=$3" --setopt=keepcache=1 --setopt=metadata_expire=0
		--setopt=install_weak_deps=False --nodocs
		install "${PACKAGES[@]}")
}
# Runs dnf with $3... and then packs $2 into $1; passes SIGTERM on to dnf.
# shellcheck disable=SC2016  # expanded by that bash
DNF_WRAPPER='dnf "${@:3}" & p=$!
trap "kill -TERM \$p 2>/dev/null; wait \$p; exit 143" TERM
wait "$p" || exit
trap - TERM
exec tar --zstd -cf "$1" -C "$2" .'

# ----------------------------------------------------- dnf signature checks
# Untimed, once: dnf with the options above must refuse an unsigned package
# and a repomd.xml signed by another key, or the comparison is not fair
# (vzpkg checks both). Each check uses a copy of the repository made bad by
# tests/integration/rpm/repo-variant.sh, read as file://.
declare -A sig=()
sig_check() {   # NAME EXPECT_REGEX VARIANT [PACKAGE]
	local name=$1 expect=$2 d=$BENCH/sigcheck/$1 rc=0
	shift 2
	mkdir -p "$d"
	cp -a "$WWW" "$d/repo"
	"$RPM_TOOLS/repo-variant.sh" "$1" "$d/repo" "$DIST_VERSION" "$KEYDIR" "${@:2}" >"$RUNLOG/sigcheck-$name.variant.log" 2>&1 ||
		die "repo-variant.sh $* failed: $(tail -n 20 "$RUNLOG/sigcheck-$name.variant.log")"
	mkdir -p "$d/root"
	dnf_args "$d/root" "file://$d/repo/" "$d/cache"
	HOME=$DNF_HOME dnf "${DNF_ARGS[@]}" </dev/null >"$RUNLOG/sigcheck-$name.log" 2>&1 || rc=$?
	if ((rc == 0)); then
		sig[$name]=ACCEPTED
	elif grep -Eq "$expect" "$RUNLOG/sigcheck-$name.log"; then
		sig[$name]=refused
	else
		sig[$name]="failed otherwise (exit $rc, see runs/sigcheck-$name.log)"
	fi
	stop_dnf_agents "$d/cache"
	rm -rf --one-file-system "$d"
}
if want_dnf; then
	note "checking that dnf verifies signatures (untimed)..."
	sig_check unsigned-package 'is not signed|GPG check FAILED' unsigned vzt-rich
	sig_check repomd-wrong-key 'repomd.xml GPG signature verification error|Bad GPG signature' repomd-wrong-key
	note "  unsigned package:                 ${sig[unsigned-package]}"
	note "  repomd.xml signed by another key: ${sig[repomd-wrong-key]}"
fi
dnf_verifies() { [[ ${sig[unsigned-package]:-} == refused && ${sig[repomd-wrong-key]:-} == refused ]]; }

# ------------------------------------------------------------------ running
declare -A gets=() out_bytes=() pkgs=() dbpath=()

# .rpm files the server sent so far.
rpm_gets() { grep -c '"GET [^ ]*\.rpm HTTP' "$HTTP_LOG" || true; }

# Packages in a root filesystem tarball, from its rpm database (gpg-pubkey
# pseudo-packages not counted): "name arch [epoch:]version-release" lines,
# sorted, into LISTFILE; prints the count and the database's place.
count_packages() {   # TARBALL LISTFILE
	local d=$CHECK/db p f
	wipe_dir "$d"
	tar --zstd -xf "$1" -C "$d" --wildcards \
		'./var/lib/rpm/*' './usr/lib/sysimage/rpm/*' './root/.rpmdb/*' 2>/dev/null || true
	for p in /var/lib/rpm /usr/lib/sysimage/rpm /root/.rpmdb; do
		for f in rpmdb.sqlite Packages Packages.db; do
			if [[ -f $d$p/$f ]]; then
				rpm --root "$d" --dbpath "$p" -qa \
					--qf '%{NAME} %{ARCH} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n' 2>/dev/null |
					grep -v '^gpg-pubkey ' | sort >"$2" || true
				printf '%s %s\n' "$(wc -l <"$2")" "$p"
				rm -rf --one-file-system "$d"
				return 0
			fi
		done
	done
	: >"$2"
	rm -rf --one-file-system "$d"
	echo '? none'
}

# measure KIND LABEL CMD...: a timed run, the .rpm files the server sent
# meanwhile, and its line on stderr.
measure() {
	local g0 g1
	g0=$(rpm_gets)
	run_timed "$@"
	g1=$(rpm_gets)
	gets[$1]+="$((g1 - g0)) "
	note "$(printf '  %-16s %8.2f s %8.1f MiB  %3d .rpm fetched' "$2" "$step_wall" "$(mib "$step_rss" 1024)" "$((g1 - g0))")"
}

run_vzpkg() {   # KIND REP
	local kind=$1 rep=$2 f n p
	rm -rf --one-file-system "$TPL/cache"
	mkdir -p "$TPL/cache"
	wipe_dir "$VZ_TMP"
	if [[ $kind == cold ]]; then
		wipe_dir "$PKG_CACHE"
		wipe_dir "$METADATA_CACHE"
	fi
	measure "$kind" "vzpkg-$kind-$rep" "$vzpkg_bin" -c "$CONF" create cache -f "$OST"
	f=$(vzpkg_cache_file) || die "vzpkg-$kind-$rep succeeded but wrote no $TPL/cache/$OST.tar*"
	out_bytes[$kind]=$(stat -c %s "$f")
	read -r n p < <(count_packages "$f" "$RUNLOG/vzpkg-$kind-$rep.packages")
	pkgs[$kind]=$n dbpath[vzpkg]=$p
	rm -f "$f"
}

run_dnf() {   # KIND REP
	local kind=$1 rep=$2 root=$OUT/root target=$OUT/root.tar.zst n p
	wipe_dir "$root"
	rm -f "$target"
	if [[ $kind == dnf-cold ]]; then
		# A warm run finds the agent that the run before left running, as on a
		# real host; a cold one starts its own.
		stop_dnf_agents "$DNF_CACHE"
		wipe_dir "$DNF_CACHE"
	fi
	dnf_args "$root" "$URL" "$DNF_CACHE"
	run_desc="HOME=$DNF_HOME dnf ${DNF_ARGS[*]} && tar --zstd -cf $target -C $root ."
	measure "$kind" "$kind-$rep" env HOME="$DNF_HOME" bash -c "$DNF_WRAPPER" dnf-run "$target" "$root" "${DNF_ARGS[@]}"
	run_desc=""
	[[ -s $target ]] || die "$kind-$rep succeeded but wrote no $target"
	out_bytes[$kind]=$(stat -c %s "$target")
	read -r n p < <(count_packages "$target" "$RUNLOG/$kind-$rep.packages")
	pkgs[$kind]=$n dbpath[dnf]=$p
	rm -rf --one-file-system "$root"
	rm -f "$target"
}

vzpkg_version=""
want_vzpkg && { vzpkg_version=$("$vzpkg_bin" --version 2>/dev/null | head -n 1) || true; }
dnf_version=""
want_dnf && { dnf_version=$(dnf --version 2>/dev/null | head -n 1) || true; }
rpm_version=$(rpm --version 2>/dev/null | awk '{ print $3; exit }') || true

note "repository:      $URL ($repo_rpms packages, listen backlog $backlog)"
note "packages:        ${PACKAGES[*]}"

# A warm run needs caches filled by a run before it; without cold runs, fill them once, untimed.
if want warm && ! want cold; then
	note "priming the vzpkg caches (untimed)..."
	run_vzpkg cold prime
	unset 'walls[cold]' 'rsss[cold]' 'gets[cold]' 'out_bytes[cold]' 'pkgs[cold]'
fi
if want dnf-warm && ! want dnf-cold; then
	note "priming the dnf cache (untimed)..."
	run_dnf dnf-cold prime
	unset 'walls[dnf-cold]' 'rsss[dnf-cold]' 'gets[dnf-cold]' 'out_bytes[dnf-cold]' 'pkgs[dnf-cold]'
fi

for ((rep = 1; rep <= reps; rep++)); do
	note "repetition $rep/$reps"
	for k in "${kinds[@]}"; do
		case $k in
		cold | warm) run_vzpkg "$k" "$rep" ;;
		dnf-cold | dnf-warm) run_dnf "$k" "$rep" ;;
		esac
	done
done

# ------------------------------------------------------------------ results
summarize
declare -A gets_med=()
for k in "${kinds[@]}"; do
	gets_med[$k]=$(med_of "${gets[$k]}")
	gets_med[$k]=${gets_med[$k]%.00}
done
name_of() { case $1 in cold) echo vzpkg-cold ;; warm) echo vzpkg-warm ;; *) echo "$1" ;; esac; }

ratios=()   # "kind value target" (target "-": none)
want cold && want dnf-cold && ratios+=("cold $(ratio "${med[cold]}" "${med[dnf-cold]}") $TARGET_COLD")
want warm && want dnf-warm && ratios+=("warm $(ratio "${med[warm]}" "${med[dnf-warm]}") $TARGET_WARM")

# Every timed run's package list against the first one.
lists=()
for k in "${kinds[@]}"; do
	for ((rep = 1; rep <= reps; rep++)); do
		lists+=("$RUNLOG/$(name_of "$k")-$rep.packages")
	done
done
set_mismatches=()
for f in "${lists[@]:1}"; do
	cmp -s "${lists[0]}" "$f" || set_mismatches+=("$(basename "$f" .packages)")
done
set_names=$(awk '{ print $1 }' "${lists[0]}" | paste -sd' ')
set_count=$(wc -l <"${lists[0]}")
if ((${#set_mismatches[@]})); then
	note "WARNING: package sets differ from $(basename "${lists[0]}" .packages)'s in: ${set_mismatches[*]}"
	for f in "${set_mismatches[@]}"; do
		note "---- < $(basename "${lists[0]}" .packages)  > $f"
		diff "${lists[0]}" "$RUNLOG/$f.packages" | grep '^[<>]' >&2 || true
	done
fi
if want_dnf && ! dnf_verifies; then
	note "WARNING: dnf did not refuse every bad signature (unsigned package: ${sig[unsigned-package]}; repomd.xml signed by another key: ${sig[repomd-wrong-key]}): the comparison is not fair"
fi

dnf_cmd="HOME=BENCH/dnf-home dnf -y --config=BENCH/dnf.conf --noplugins --installroot=DIR --releasever=1 --setopt=reposdir=/dev/null --setopt=varsdir= --repofrompath=vzt,$URL --setopt=vzt.gpgcheck=1 --setopt=vzt.repo_gpgcheck=1 --setopt=vzt.gpgkey=file://BENCH/keys/RPM-GPG-KEY-vzt --setopt=cachedir=BENCH/dnf-cache --setopt=keepcache=1 --setopt=metadata_expire=0 --setopt=install_weak_deps=False --nodocs install ${PACKAGES[*]} && tar --zstd -cf DIR.tar.zst -C DIR ."

if ((json)); then
	{
		printf '{\n'
		printf '  "template": %s,\n' "$(json_str "$OST")"
		printf '  "packages_listed": [%s],\n' "$(json_strs "${PACKAGES[@]}")"
		printf '  "repetitions": %d,\n' "$reps"
		printf '  "order": %s,\n' "$(json_str "interleaved: $(for k in "${kinds[@]}"; do name_of "$k"; done | paste -sd' ')")"
		printf '  "repository": %s,\n' "$(json_str "$URL (tests/integration/rpm/build-rpm-repo.sh, version $DIST_VERSION, $repo_rpms packages, signed)")"
		printf '  "http_server_backlog": %d,\n' "$backlog"
		printf '  "vzpkg": %s,\n' "$(json_str "${vzpkg_version:-}")"
		printf '  "dnf": %s,\n' "$(json_str "${dnf_version:+dnf $dnf_version, rpm ${rpm_version:-?}}")"
		printf '  "dnf_command": %s,\n' "$(json_str "$dnf_cmd")"
		if want_dnf; then
			printf '  "dnf_signature_checks": {"unsigned_package": %s, "repomd_wrong_key": %s, "fair": %s},\n' \
				"$(json_str "${sig[unsigned-package]}")" "$(json_str "${sig[repomd-wrong-key]}")" \
				"$(dnf_verifies && echo true || echo false)"
		fi
		printf '  "rpmdb_path": {"vzpkg": %s, "dnf": %s},\n' "$(json_str "${dbpath[vzpkg]:-}")" "$(json_str "${dbpath[dnf]:-}")"
		printf '  "package_set": {"count": %s, "names": %s, "identical_in_every_run": %s},\n' \
			"$([[ $set_count =~ ^[0-9]+$ ]] && echo "$set_count" || echo null)" "$(json_str "$set_names")" \
			"$( ((${#set_mismatches[@]})) && echo false || echo true)"
		printf '  "rss_note": %s,\n' "$(json_str "$RSS_NOTE")"
		printf '  "results": {\n'
		sep=""
		for k in "${kinds[@]}"; do
			printf '%s    %s: {' "$sep" "$(json_str "$(name_of "$k")")"
			printf '%s, ' "$(json_runs "$k")"
			printf '"rpm_files_fetched": [%s], ' "$(json_list "${gets[$k]}")"
			printf '%s, ' "$(json_medians "$k")"
			printf '"output_bytes": %s, ' "${out_bytes[$k]:-null}"
			p=${pkgs[$k]:-?}
			[[ $p =~ ^[0-9]+$ ]] || p=null
			printf '"packages": %s}' "$p"
			sep=$',\n'
		done
		printf '\n  },\n'
		printf '  "ratios": {'
		sep=""
		for r in "${ratios[@]}"; do
			read -r k v t <<<"$r"
			printf '%s\n    %s' "$sep" "$(json_ratio "vzpkg-$k/dnf-$k" "$v" "$t")"
			sep=","
		done
		((${#ratios[@]})) && printf '\n  '
		printf '}\n}\n'
	}
else
	printf '\nvzpkg create cache %s vs dnf --installroot, %d repetition(s), interleaved (%s)\n' "$OST" "$reps" \
		"$(for k in "${kinds[@]}"; do name_of "$k"; done | paste -sd' ')"
	want_vzpkg && printf 'vzpkg:      %s (%s)\n' "$vzpkg_bin" "${vzpkg_version:-version unknown}"
	want_dnf && printf 'dnf:        %s (rpm %s), then tar --zstd -cf DIR.tar.zst -C DIR . (zstd defaults)\n' "${dnf_version:-?}" "${rpm_version:-?}"
	printf 'repository: %s (vztest %s, %d packages, signed; python3 http.server, listen backlog %d)\n' "$URL" "$DIST_VERSION" "$repo_rpms" "$backlog"
	printf 'packages:   %s\n' "${PACKAGES[*]}"
	if want_dnf; then
		printf 'dnf checks: unsigned package %s; repomd.xml signed by another key %s\n' \
			"${sig[unsigned-package]}" "${sig[repomd-wrong-key]}"
		dnf_verifies || printf 'WARNING: dnf does not verify the signatures as vzpkg does: the comparison is not fair\n'
	fi
	printf 'rpm database: vzpkg %s, dnf %s\n' "${dbpath[vzpkg]:--}" "${dbpath[dnf]:--}"
	if ((${#set_mismatches[@]})); then
		printf 'WARNING: package sets differ between runs: %s (see stderr)\n' "${set_mismatches[*]}"
	else
		printf 'package set: the same in every run: %s packages (%s; gpg-pubkey not counted)\n' "$set_count" "$set_names"
	fi
	printf '\n%-12s %9s %8s %8s %13s %9s %6s %9s\n' tool median_s min_s max_s peak_RSS_MiB out_MiB pkgs rpm_GETs
	for k in "${kinds[@]}"; do
		printf '%-12s %9s %8s %8s %13s %9s %6s %9s\n' "$(name_of "$k")" "${med[$k]}" "${lo[$k]}" "${hi[$k]}" \
			"$(mib "${rss_med[$k]}" 1024)" "$(mib "${out_bytes[$k]:-0}" 1048576)" "${pkgs[$k]:-?}" "${gets_med[$k]}"
	done
	if ((${#ratios[@]})); then
		ratio_header
		for r in "${ratios[@]}"; do
			read -r k v t <<<"$r"
			ratio_row "vzpkg-$k/dnf-$k" "$v" "$t"
		done
	fi
	printf '\nnote: %s.\n' "$RSS_NOTE"
fi
