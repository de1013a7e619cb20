#!/usr/bin/env bash
# Benchmark: build a minimal Debian 12 root filesystem archive with
#   - vzpkg, cold  (empty package cache and empty metadata cache),
#   - vzpkg, warm  (package and metadata caches kept from the run before),
#   - mmdebstrap --variant=minbase, writing DIR.tar.zst,
# all from the same mirror and the same suites, N times each, interleaved.
#
# The mirror is read from the host's apt sources at run time, and the suites
# from the template's `repositories` file, so both tools fetch exactly the same
# sources. Everything (template area, caches, temp, locks, logs, outputs) lives
# in one bench directory that is removed on exit; /vz is never touched.
#
# Usage: bench/create-cache.sh [-n N] [--vzpkg PATH] [--templates DIR]
#                              [--only LIST] [--workdir DIR] [--keep] [--json]
set -euo pipefail
export LC_ALL=C   # '.' as decimal point in printf/awk, plain sort order

readonly OST=debian-12-x86_64-minimal      # the template vzpkg builds
readonly OST_DIR=debian/12/x86_64          # its place in the template area
readonly OST_SET=minimal
readonly SUITE=bookworm                    # its Debian suite
readonly TARGET_COLD=0.5                   # vzpkg-cold / mmdebstrap, at most
readonly TARGET_WARM=0.25                  # vzpkg-warm / mmdebstrap, at most
readonly RSS_NOTE="peak RSS is the largest single process of the run (GNU time %M, i.e. ru_maxrss of the biggest child), not the sum over all processes"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

reps=3
vzpkg_bin=$REPO_ROOT/build/vzpkg/vzpkg
templates=$REPO_ROOT/templates
only=cold,warm,mmdebstrap
workdir_parent=${TMPDIR:-/var/tmp}
keep=0
json=0

usage() {
	cat <<EOF
Usage: $0 [options]

Times 'vzpkg create cache -f $OST' (cold and warm caches) against
'mmdebstrap --variant=minbase $SUITE DIR.tar.zst ...' from the same mirror and suites.

  -n N             repetitions of each kind (default $reps), run interleaved
  --vzpkg PATH     vzpkg binary (default: build/vzpkg/vzpkg in the repo)
  --templates DIR  template area to copy (default: the repo's templates/)
  --only LIST      comma-separated subset of cold,warm,mmdebstrap (default: all)
  --workdir DIR    where to create the bench directory (default: \$TMPDIR or /var/tmp)
  --keep           keep the bench directory (logs, caches, config) and print its path
  --json           print the results as JSON on stdout (progress stays on stderr)
  -h, --help       this text

The mirrors come from the host's apt sources (the entries for suites $SUITE and
$SUITE-security); DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR in the environment override them.
Must run as root.
EOF
}

die() { printf 'create-cache.sh: %s\n' "$*" >&2; exit 1; }
note() { printf '%s\n' "$*" >&2; }

while (($#)); do
	case $1 in
	-n) [[ $# -ge 2 ]] || die "-n needs a number"; reps=$2; shift 2 ;;
	-n*) reps=${1#-n}; shift ;;
	--vzpkg) [[ $# -ge 2 ]] || die "--vzpkg needs a path"; vzpkg_bin=$2; shift 2 ;;
	--vzpkg=*) vzpkg_bin=${1#*=}; shift ;;
	--templates) [[ $# -ge 2 ]] || die "--templates needs a directory"; templates=$2; shift 2 ;;
	--templates=*) templates=${1#*=}; shift ;;
	--only) [[ $# -ge 2 ]] || die "--only needs a list"; only=$2; shift 2 ;;
	--only=*) only=${1#*=}; shift ;;
	--workdir) [[ $# -ge 2 ]] || die "--workdir needs a directory"; workdir_parent=$2; shift 2 ;;
	--workdir=*) workdir_parent=${1#*=}; shift ;;
	--keep) keep=1; shift ;;
	--json) json=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done

[[ $reps =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive integer, got '$reps'"

# Which kinds of run, in the interleaving order.
kinds=()
for k in cold warm mmdebstrap; do
	[[ ",$only," == *",$k,"* ]] && kinds+=("$k")
done
IFS=, read -r -a only_words <<<"$only"
for w in "${only_words[@]}"; do
	case $w in cold | warm | mmdebstrap) ;; *) die "--only: unknown kind '$w' (cold, warm, mmdebstrap)" ;; esac
done
((${#kinds[@]})) || die "--only selects nothing"
want() { [[ " ${kinds[*]} " == *" $1 "* ]]; }
want_vzpkg() { want cold || want warm; }

# ---------------------------------------------------------------- preconditions
[[ $EUID -eq 0 ]] || die "must be run as root (vzpkg and mmdebstrap need it to build a root filesystem)"

missing=()
want mmdebstrap && ! command -v mmdebstrap >/dev/null && missing+=(mmdebstrap)
command -v zstd >/dev/null || missing+=(zstd)
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]})); then
	note "create-cache.sh: missing: ${missing[*]}"
	note "install with:  apt-get install ${missing[*]}"
	exit 1
fi

if want_vzpkg; then
	[[ -x $vzpkg_bin ]] || die "no vzpkg binary at $vzpkg_bin; build it (cmake -S . -B build && cmake --build build) or pass --vzpkg PATH"
	vzpkg_bin=$(cd "$(dirname "$vzpkg_bin")" && pwd)/$(basename "$vzpkg_bin")
fi
[[ -d $templates/$OST_DIR/config/os/default ]] ||
	die "no template $OST_DIR/config/os/default under $templates; pass --templates DIR"
templates=$(cd "$templates" && pwd)

# ------------------------------------------------------------------ mirrors
# First URI of an enabled `deb` entry of the host's apt sources whose suites
# include exactly $1: deb822 *.sources first, then one-line sources.list / *.list.
apt_mirror_for_suite() {
	local suite=$1 f url
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] || continue
		url=$(awk -v want="$suite" '
			function flush(   n, i, s, u) {
				if (!found && enabled != "no" && (" " types " ") ~ / deb /) {
					n = split(suites, s, " ")
					for (i = 1; i <= n; i++)
						if (s[i] == want) { split(uris, u, " "); print u[1]; found = 1; break }
				}
				types = suites = uris = enabled = last = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]/ {                          # continuation of the last field
				if (last == "types") types = types " " $0
				else if (last == "suites") suites = suites " " $0
				else if (last == "uris") uris = uris " " $0
				next
			}
			{
				i = index($0, ":"); if (!i) next
				key = tolower(substr($0, 1, i - 1)); val = substr($0, i + 1)
				gsub(/[ \t]+/, " ", val); last = key
				if (key == "types") types = val
				else if (key == "suites") suites = val
				else if (key == "uris") uris = val
				else if (key == "enabled") { gsub(/ /, "", val); enabled = tolower(val) }
			}
			END { flush() }' "$f")
		[[ -n $url ]] && { printf '%s\n' "$url"; return 0; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -r $f ]] || continue
		url=$(awk -v want="$suite" '
			/^[ \t]*#/ || $1 != "deb" { next }
			{
				i = 2
				if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }   # [options]
				if ($(i + 1) == want) { print $i; exit }
			}' "$f")
		[[ -n $url ]] && { printf '%s\n' "$url"; return 0; }
	done
	return 1
}

# The template's repositories: the set's own, then the base's (the set
# inherits them), duplicates dropped, comments and blank lines skipped.
repo_files=()
for set in "$OST_SET" default; do
	f=$templates/$OST_DIR/config/os/$set/repositories
	[[ -f $f ]] && repo_files+=("$f")
done
((${#repo_files[@]})) || die "no repositories file in $templates/$OST_DIR/config/os/{$OST_SET,default}/"

declare -A mirror_var=()
# shellcheck disable=SC2016  # the '$' is literal: it is the template's variable
if grep -hq '\$DEBIAN_MIRROR' "${repo_files[@]}"; then
	mirror_var[DEBIAN_MIRROR]=${DEBIAN_MIRROR:-$(apt_mirror_for_suite "$SUITE")} ||
		die "no 'deb' entry for suite $SUITE in the host's apt sources (/etc/apt/sources.list{,.d/}); set DEBIAN_MIRROR=URL"
fi
# shellcheck disable=SC2016
if grep -hq '\$DEBIAN_SECURITY_MIRROR' "${repo_files[@]}"; then
	mirror_var[DEBIAN_SECURITY_MIRROR]=${DEBIAN_SECURITY_MIRROR:-$(apt_mirror_for_suite "$SUITE-security")} ||
		die "no 'deb' entry for suite $SUITE-security in the host's apt sources; set DEBIAN_SECURITY_MIRROR=URL"
fi

# Expand the variables in one repositories line (longest name first, plain
# substring replacement as vzpkg's url map does).
expand_line() {
	local line=$1 v
	for v in DEBIAN_SECURITY_MIRROR DEBIAN_MIRROR; do
		[[ -n ${mirror_var[$v]:-} ]] && line=${line//\$$v/${mirror_var[$v]}}
	done
	printf '%s\n' "$line"
}

sources=()        # "URL suite component..." lines, in order, unique
declare -A seen=()
have_suite=0
for f in "${repo_files[@]}"; do
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%%#*}
		line=$(expand_line "$line")
		[[ $line == *'$'* ]] && die "$f: unknown variable in '$line' (only \$DEBIAN_MIRROR and \$DEBIAN_SECURITY_MIRROR are expanded)"
		# A leading "[priority=N]" is vzpkg's own; apt and mmdebstrap have no use for it.
		[[ $line =~ ^[[:space:]]*\[[^]]*\](.*)$ ]] && line=${BASH_REMATCH[1]}
		read -r -a words <<<"$line"
		((${#words[@]})) || continue
		((${#words[@]} >= 3)) || die "$f: expected 'URL suite component...', got '$line'"
		line=${words[*]}
		[[ ${words[1]} == "$SUITE" ]] && have_suite=1
		[[ -n ${seen[$line]:-} ]] && continue
		seen[$line]=1
		sources+=("$line")
	done <"$f"
done
((have_suite)) || die "${repo_files[*]}: no repository for suite $SUITE"

# --------------------------------------------------------------- bench area
mkdir -p "$workdir_parent"
BENCH=$(mktemp -d "$workdir_parent/vzpkg-bench.XXXXXX")
# mktemp makes it 0700; apt's unprivileged _apt user must be able to reach the
# chroots below it, or mmdebstrap falls back to downloading as root.
chmod 0755 "$BENCH"
running=""     # what is running now, for the interrupt message
running_pid="" # its /usr/bin/time process

# Mounts left under the bench directory by a killed run: unmount them before
# deleting anything, and never delete through one (it could be a bind mount of
# a host directory).
mounts_under_bench() {
	awk -v root="$BENCH" '{
		p = $5; gsub(/\\040/, " ", p)
		if (p == root || index(p, root "/") == 1) print p
	}' /proc/self/mountinfo | sort -r
}

# Stop the timed run after an interrupt. It runs in the background, so the
# terminal's SIGINT never reached it (bash starts background jobs with SIGINT
# ignored): send SIGTERM to the tool itself (the child of /usr/bin/time, which
# would not forward it), give it time to clean up its own mounts, then SIGKILL.
stop_running() {
	local pid=$running_pid kids i
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
	note "interrupted during: $running"
	kids=$(ps -o pid= --ppid "$pid" 2>/dev/null) || true
	# shellcheck disable=SC2086  # a list of pids
	[[ -n $kids ]] && { kill -TERM $kids 2>/dev/null || true; }
	for ((i = 0; i < 60; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		note "still running after 30 s, killing it"
		# shellcheck disable=SC2086
		[[ -n $kids ]] && { kill -KILL $kids 2>/dev/null || true; }
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$? m left
	trap - EXIT
	trap '' INT TERM   # a second Ctrl-C must not leave mounts and files behind
	stop_running
	if [[ -d ${BENCH:-} ]]; then
		while IFS= read -r m; do
			if [[ -n $m ]]; then umount -l "$m" 2>/dev/null || true; fi
		done < <(mounts_under_bench)
		left=$(mounts_under_bench)
		if [[ -n $left ]]; then
			note "not removing $BENCH: still mounted under it:"
			note "$left"
		elif ((keep)); then
			note "kept bench directory: $BENCH"
		else
			rm -rf --one-file-system "$BENCH"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

TPL=$BENCH/template
PKG_CACHE=$BENCH/pkg-cache
METADATA_CACHE=$BENCH/metadata-cache
VZ_TMP=$BENCH/tmp
LOCK_DIR=$BENCH/lock
LOG_DIR=$BENCH/log
OUT=$BENCH/out            # mmdebstrap outputs
RUNLOG=$BENCH/runs        # each run's stdout+stderr and time output
CONF=$BENCH/vzpkg.conf
mkdir -p "$TPL" "$PKG_CACHE" "$METADATA_CACHE" "$VZ_TMP" "$LOCK_DIR" "$LOG_DIR" "$OUT" "$RUNLOG"

if want_vzpkg; then
	cp -a "$templates/." "$TPL/"
	# The copied template gets the expanded URLs written in, so vzpkg cannot
	# pick another mirror than mmdebstrap, whatever its own url map says.
	for set in "$OST_SET" default; do
		f=$TPL/$OST_DIR/config/os/$set/repositories
		[[ -f $f ]] || continue
		while IFS= read -r line || [[ -n $line ]]; do
			expand_line "$line"
		done <"$f" >"$f.new"
		mv "$f.new" "$f"
	done
	cat >"$CONF" <<EOF
# vzpkg configuration written by bench/create-cache.sh; everything stays in $BENCH
TEMPLATE=$TPL
PKG_CACHE=$PKG_CACHE
METADATA_CACHE=$METADATA_CACHE
TMP_DIR=$VZ_TMP
LOCK_DIR=$LOCK_DIR
LOG_DIR=$LOG_DIR
EOF
	# The same mirrors as url.map-style lines, for anything else in the template area that names them.
	for v in DEBIAN_MIRROR DEBIAN_SECURITY_MIRROR; do
		[[ -n ${mirror_var[$v]:-} ]] && printf '$%s %s\n' "$v" "${mirror_var[$v]}" >>"$CONF"
	done
fi

# ------------------------------------------------------------------ running
declare -A walls=() rsss=() out_bytes=() pkgs=()

wipe_dir() { rm -rf --one-file-system "$1"; mkdir -p "$1"; }

# Number of packages in a root filesystem tarball (from var/lib/dpkg/status);
# the sorted names go to LISTFILE, for comparing what the tools installed (--keep).
count_packages() {   # TARBALL LISTFILE
	zstd -dcq "$1" 2>/dev/null |
		tar -xOf - --wildcards '*var/lib/dpkg/status' 2>/dev/null |
		awk '/^Package:/ { print $2 }' | sort >"$2" || true
	if [[ -s $2 ]]; then wc -l <"$2"; else echo '?'; fi
}

# run_timed KIND LABEL CMD... : runs CMD under /usr/bin/time, records wall and RSS.
run_timed() {
	local kind=$1 label=$2 tf=$RUNLOG/$2.time log=$RUNLOG/$2.log rc=0 wall rss
	shift 2
	sync   # don't let the previous run's writeback land in this one
	running="$label: $*"
	# In the background and waited for, so that Ctrl-C runs the trap at once
	# (bash defers traps while a foreground command runs, and ignores SIGINT
	# altogether when that command exits normally, as /usr/bin/time does).
	/usr/bin/time -f '%e %M' -o "$tf" "$@" </dev/null >"$log" 2>&1 &
	running_pid=$!
	wait "$running_pid" || rc=$?
	running="" running_pid=""
	if ((rc)); then
		note "$label failed (exit $rc): $*"
		note "---- last lines of $log (rerun with --keep to keep the logs):"
		tail -n 30 "$log" >&2 || true
		exit 1
	fi
	read -r wall rss < <(tail -n 1 "$tf")
	walls[$kind]+="$wall "
	rsss[$kind]+="$rss "
	note "$(printf '  %-16s %8.2f s %8.1f MiB' "$label" "$wall" "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')")"
}

vzpkg_cache_file() {
	local f
	for f in "$TPL/cache/$OST".tar*; do
		[[ -f $f ]] && { printf '%s\n' "$f"; return 0; }
	done
	return 1
}

run_vzpkg() {   # KIND REP
	local kind=$1 rep=$2 f
	rm -rf --one-file-system "$TPL/cache"
	mkdir -p "$TPL/cache"
	wipe_dir "$VZ_TMP"
	if [[ $kind == cold ]]; then
		wipe_dir "$PKG_CACHE"
		wipe_dir "$METADATA_CACHE"
	fi
	run_timed "$kind" "vzpkg-$kind-$rep" "$vzpkg_bin" -c "$CONF" create cache -f "$OST"
	f=$(vzpkg_cache_file) || die "vzpkg-$kind-$rep succeeded but wrote no $TPL/cache/$OST.tar*"
	out_bytes[$kind]=$(stat -c %s "$f")
	pkgs[$kind]=$(count_packages "$f" "$RUNLOG/vzpkg-$kind-$rep.packages")
	rm -f "$f"
}

run_mmdebstrap() {   # REP
	local rep=$1 target=$OUT/rootfs.tar.zst s
	local -a args=(--variant=minbase "$SUITE" "$target")
	for s in "${sources[@]}"; do args+=("deb $s"); done
	rm -f "$target"
	wipe_dir "$VZ_TMP"
	# mmdebstrap builds its temporary chroot in $TMPDIR: keep it in the bench area too.
	run_timed mmdebstrap "mmdebstrap-$rep" env TMPDIR="$VZ_TMP" mmdebstrap "${args[@]}"
	out_bytes[mmdebstrap]=$(stat -c %s "$target")
	pkgs[mmdebstrap]=$(count_packages "$target" "$RUNLOG/mmdebstrap-$rep.packages")
	rm -f "$target"
}

mmdebstrap_version=$(mmdebstrap --version 2>/dev/null | awk '{ print $2; exit }') || true
vzpkg_version=""
want_vzpkg && { vzpkg_version=$("$vzpkg_bin" --version 2>/dev/null | head -n 1) || true; }

note "bench directory: $BENCH"
note "mirror:          ${mirror_var[DEBIAN_MIRROR]:-(none)}"
note "security mirror: ${mirror_var[DEBIAN_SECURITY_MIRROR]:-(none)}"
for s in "${sources[@]}"; do note "source:          deb $s"; done

# A warm run needs caches filled by a run before it; without cold runs, fill them once, untimed.
if want warm && ! want cold; then
	note "priming the vzpkg caches (untimed)..."
	run_vzpkg cold prime
	unset 'walls[cold]' 'rsss[cold]' 'out_bytes[cold]' 'pkgs[cold]'
fi

for ((rep = 1; rep <= reps; rep++)); do
	note "repetition $rep/$reps"
	for k in "${kinds[@]}"; do
		case $k in
		cold | warm) run_vzpkg "$k" "$rep" ;;
		mmdebstrap) run_mmdebstrap "$rep" ;;
		esac
	done
done

# ------------------------------------------------------------------ results
# stats "v1 v2 ..." -> "median min max"
stats() {
	tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | awk '
		{ v[NR] = $1 }
		END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.2f %.2f %.2f\n", m, v[1], v[NR]
		}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }
met() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t) ? "yes" : "no" }'; }
mib() { awk -v b="$1" -v d="$2" 'BEGIN { printf "%.1f", b / d }'; }   # VALUE DIVISOR

declare -A med=() lo=() hi=() rss_med=()
for k in "${kinds[@]}"; do
	read -r "med[$k]" "lo[$k]" "hi[$k]" < <(stats "${walls[$k]}")
	read -r "rss_med[$k]" _ _ < <(stats "${rsss[$k]}")
done
name_of() { case $1 in cold) echo vzpkg-cold ;; warm) echo vzpkg-warm ;; *) echo "$1" ;; esac; }

ratios=()   # "kind value target met"
if want mmdebstrap; then
	want cold && ratios+=("cold $(ratio "${med[cold]}" "${med[mmdebstrap]}") $TARGET_COLD")
	want warm && ratios+=("warm $(ratio "${med[warm]}" "${med[mmdebstrap]}") $TARGET_WARM")
fi

json_str() {
	local s=$1
	s=${s//\\/\\\\}; s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

if ((json)); then
	{
		printf '{\n'
		printf '  "template": %s,\n' "$(json_str "$OST")"
		printf '  "repetitions": %d,\n' "$reps"
		printf '  "order": %s,\n' "$(json_str "interleaved: ${kinds[*]}")"
		printf '  "mirror": %s,\n' "$(json_str "${mirror_var[DEBIAN_MIRROR]:-}")"
		printf '  "security_mirror": %s,\n' "$(json_str "${mirror_var[DEBIAN_SECURITY_MIRROR]:-}")"
		printf '  "sources": ['
		sep=""
		for s in "${sources[@]}"; do printf '%s%s' "$sep" "$(json_str "deb $s")"; sep=", "; done
		printf '],\n'
		printf '  "vzpkg": %s,\n' "$(json_str "${vzpkg_version:-}")"
		printf '  "mmdebstrap": %s,\n' "$(json_str "mmdebstrap ${mmdebstrap_version:-?} --variant=minbase, output DIR.tar.zst (zstd defaults)")"
		printf '  "rss_note": %s,\n' "$(json_str "$RSS_NOTE")"
		printf '  "results": {\n'
		sep=""
		for k in "${kinds[@]}"; do
			printf '%s    %s: {' "$sep" "$(json_str "$(name_of "$k")")"
			printf '"wall_s": [%s], ' "$(tr ' ' '\n' <<<"${walls[$k]}" | awk 'NF' | paste -sd, | sed 's/,/, /g')"
			printf '"peak_rss_kib": [%s], ' "$(tr ' ' '\n' <<<"${rsss[$k]}" | awk 'NF' | paste -sd, | sed 's/,/, /g')"
			printf '"median_wall_s": %s, "min_wall_s": %s, "max_wall_s": %s, ' "${med[$k]}" "${lo[$k]}" "${hi[$k]}"
			printf '"median_peak_rss_mib": %s, ' "$(mib "${rss_med[$k]}" 1024)"
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
			printf '%s\n    %s: {"value": %s, "target_max": %s, "met": %s}' "$sep" \
				"$(json_str "vzpkg-$k/mmdebstrap")" "$v" "$t" "$([[ $(met "$v" "$t") == yes ]] && echo true || echo false)"
			sep=","
		done
		((${#ratios[@]})) && printf '\n  '
		printf '}\n}\n'
	}
else
	printf '\nvzpkg create cache %s vs mmdebstrap, %d repetition(s), interleaved (%s)\n' "$OST" "$reps" "${kinds[*]}"
	want_vzpkg && printf 'vzpkg:      %s (%s)\n' "$vzpkg_bin" "${vzpkg_version:-version unknown}"
	want mmdebstrap && printf 'mmdebstrap: %s --variant=minbase, output DIR.tar.zst (zstd defaults)\n' "${mmdebstrap_version:-?}"
	for s in "${sources[@]}"; do printf 'source:     deb %s\n' "$s"; done
	printf '\n%-12s %9s %8s %8s %13s %9s %6s\n' tool median_s min_s max_s peak_RSS_MiB out_MiB pkgs
	for k in "${kinds[@]}"; do
		printf '%-12s %9s %8s %8s %13s %9s %6s\n' "$(name_of "$k")" "${med[$k]}" "${lo[$k]}" "${hi[$k]}" \
			"$(mib "${rss_med[$k]}" 1024)" "$(mib "${out_bytes[$k]:-0}" 1048576)" "${pkgs[$k]:-?}"
	done
	if ((${#ratios[@]})); then
		printf '\n%-24s %7s %8s %4s\n' ratio_of_medians value target met
		for r in "${ratios[@]}"; do
			read -r k v t <<<"$r"
			printf '%-24s %7s %8s %4s\n' "vzpkg-$k/mmdebstrap" "$v" "<= $t" "$(met "$v" "$t")"
		done
	fi
	printf '\nnote: %s.\n' "$RSS_NOTE"
fi
