#!/usr/bin/env bash
# Benchmark: refresh a stale Debian 12 minimal template cache with
#   - vzpkg update cache   (unpack, install the newer packages, repack), against
#   - vzpkg create cache -f (rebuild from scratch),
# N times each, interleaved, with the same warm package and metadata caches.
#
# Stale means: the cache was built from the stable suite only (the template's
# repository lines for suite bookworm), and then the template gained its other
# repositories (bookworm-updates, bookworm-security), so that `vzpkg status`
# reports packages with newer versions. The mirror is read from the host's apt
# sources at run time. Everything (template area, caches, temp, locks, logs)
# lives in one bench directory that is removed on exit; /vz is never touched.
#
# Usage: bench/update-cache.sh [-n N] [--vzpkg PATH] [--templates DIR]
#                              [--workdir DIR] [--keep] [--json]
set -euo pipefail
export LC_ALL=C   # '.' as decimal point in printf/awk, plain sort order

readonly OST=debian-12-x86_64-minimal      # the template vzpkg builds
readonly OST_DIR=debian/12/x86_64          # its place in the template area
readonly OST_SET=minimal
readonly SUITE=bookworm                    # the stable suite the stale cache is built from
readonly TARGET_UPDATE=0.3                 # update-cache / rebuild, at most
readonly EXIT_STALE=22                     # vzpkg status: the cache is not current
readonly RSS_NOTE="peak RSS is the largest single process of the run (GNU time %M, i.e. ru_maxrss of the biggest child), not the sum over all processes"
readonly CACHE_NOTE="both timed runs start from the same stale cache, with the same warm package and metadata caches (METADATA_EXPIRE=0: each run revalidates InRelease with conditional requests)"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

reps=3
vzpkg_bin=$REPO_ROOT/build/vzpkg/vzpkg
templates=$REPO_ROOT/templates
workdir_parent=${TMPDIR:-/var/tmp}
keep=0
json=0

usage() {
	cat <<EOF
Usage: $0 [options]

Times 'vzpkg update cache $OST' on a stale cache (built from suite $SUITE only,
before the template's other repositories were added) against rebuilding it with
'vzpkg create cache -f $OST', both with warm package and metadata caches.

  -n N             repetitions of each kind (default $reps), run interleaved
  --vzpkg PATH     vzpkg binary (default: build/vzpkg/vzpkg in the repo)
  --templates DIR  template area to copy (default: the repo's templates/)
  --workdir DIR    where to create the bench directory (default: \$TMPDIR or /var/tmp)
  --keep           keep the bench directory (logs, caches, config) and print its path
  --json           print the results as JSON on stdout (progress stays on stderr)
  -h, --help       this text

The mirrors come from the host's apt sources (the entries for suites $SUITE and
$SUITE-security); DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR in the environment override them.
Must run as root.
EOF
}

die() { printf 'update-cache.sh: %s\n' "$*" >&2; exit 1; }
note() { printf '%s\n' "$*" >&2; }

while (($#)); do
	case $1 in
	-n) [[ $# -ge 2 ]] || die "-n needs a number"; reps=$2; shift 2 ;;
	-n*) reps=${1#-n}; shift ;;
	--vzpkg) [[ $# -ge 2 ]] || die "--vzpkg needs a path"; vzpkg_bin=$2; shift 2 ;;
	--vzpkg=*) vzpkg_bin=${1#*=}; shift ;;
	--templates) [[ $# -ge 2 ]] || die "--templates needs a directory"; templates=$2; shift 2 ;;
	--templates=*) templates=${1#*=}; shift ;;
	--workdir) [[ $# -ge 2 ]] || die "--workdir needs a directory"; workdir_parent=$2; shift 2 ;;
	--workdir=*) workdir_parent=${1#*=}; shift ;;
	--keep) keep=1; shift ;;
	--json) json=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done

[[ $reps =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive integer, got '$reps'"

# ---------------------------------------------------------------- preconditions
[[ $EUID -eq 0 ]] || die "must be run as root (vzpkg needs it to build and update a root filesystem)"

missing=()
command -v zstd >/dev/null || missing+=(zstd)
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]})); then
	note "update-cache.sh: missing: ${missing[*]}"
	note "install with:  apt-get install ${missing[*]}"
	exit 1
fi

[[ -x $vzpkg_bin ]] || die "no vzpkg binary at $vzpkg_bin; build it (cmake -S . -B build && cmake --build build) or pass --vzpkg PATH"
vzpkg_bin=$(cd "$(dirname "$vzpkg_bin")" && pwd)/$(basename "$vzpkg_bin")
"$vzpkg_bin" update cache --help >/dev/null 2>&1 ||
	die "$vzpkg_bin has no 'update cache' command; rebuild it from a newer tree"
[[ -d $templates/$OST_DIR/config/os/default ]] ||
	die "no template $OST_DIR/config/os/default under $templates; pass --templates DIR"
templates=$(cd "$templates" && pwd)

# ------------------------------------------------------------------ mirrors
# First URI of an enabled `deb` entry of the host's apt sources whose suites
# include exactly $1: deb822 *.sources first, then one-line sources.list / *.list.
# (The same as bench/create-cache.sh.)
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

# The template's repositories files: the set's own, then the base's (the set
# inherits them).
repo_sets=()
for set in "$OST_SET" default; do
	[[ -f $templates/$OST_DIR/config/os/$set/repositories ]] && repo_sets+=("$set")
done
((${#repo_sets[@]})) || die "no repositories file in $templates/$OST_DIR/config/os/{$OST_SET,default}/"
repo_files=()
for set in "${repo_sets[@]}"; do repo_files+=("$templates/$OST_DIR/config/os/$set/repositories"); done

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

# The suite of one repositories line ("[priority=N] URL suite component..."),
# or nothing for a comment or blank line.
line_suite() {
	local line=${1%%#*}
	local -a words
	[[ $line =~ ^[[:space:]]*\[[^]]*\](.*)$ ]] && line=${BASH_REMATCH[1]}
	read -r -a words <<<"$line"
	((${#words[@]})) || return 0
	((${#words[@]} >= 3)) || return 1
	printf '%s\n' "${words[1]}"
}

# Every repository line, expanded, in order: for the output and the sanity checks.
full_sources=()
stable_sources=()
for f in "${repo_files[@]}"; do
	while IFS= read -r line || [[ -n $line ]]; do
		s=$(line_suite "$line") || die "$f: expected 'URL suite component...', got '$line'"
		[[ -n $s ]] || continue
		line=$(expand_line "${line%%#*}")
		[[ $line == *'$'* ]] && die "$f: unknown variable in '$line' (only \$DEBIAN_MIRROR and \$DEBIAN_SECURITY_MIRROR are expanded)"
		read -r -a words <<<"$line"
		full_sources+=("${words[*]}")
		[[ $s == "$SUITE" ]] && stable_sources+=("${words[*]}")
	done <"$f"
done
((${#stable_sources[@]})) || die "${repo_files[*]}: no repository for suite $SUITE"
((${#full_sources[@]} > ${#stable_sources[@]})) ||
	die "${repo_files[*]}: only suite $SUITE; the template needs more repositories (e.g. $SUITE-updates, $SUITE-security) for a cache built from $SUITE alone to be stale"

# --------------------------------------------------------------- bench area
mkdir -p "$workdir_parent"
BENCH=$(mktemp -d "$workdir_parent/vzpkg-bench.XXXXXX")
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

# Stop the running step after an interrupt. It runs in the background, so the
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
REPOS=$BENCH/repositories # the stale and the full versions of each repositories file
RUNLOG=$BENCH/runs        # each step's stdout, stderr and time output
CONF=$BENCH/vzpkg.conf
mkdir -p "$TPL" "$PKG_CACHE" "$METADATA_CACHE" "$VZ_TMP" "$LOCK_DIR" "$LOG_DIR" "$REPOS" "$RUNLOG"

cp -a "$templates/." "$TPL/"
# Two versions of each repositories file, with the URLs written in (so vzpkg
# cannot pick another mirror whatever its own url map says): "full", every
# line; "stale", only the lines for suite $SUITE (comments kept).
for set in "${repo_sets[@]}"; do
	f=$templates/$OST_DIR/config/os/$set/repositories
	while IFS= read -r line || [[ -n $line ]]; do
		expand_line "$line"
	done <"$f" >"$REPOS/$set.full"
	while IFS= read -r line || [[ -n $line ]]; do
		s=$(line_suite "$line")
		if [[ -z $s || $s == "$SUITE" ]]; then expand_line "$line"; fi
	done <"$f" >"$REPOS/$set.stale"
done
use_repositories() {   # stale|full
	local set
	for set in "${repo_sets[@]}"; do
		cp "$REPOS/$set.$1" "$TPL/$OST_DIR/config/os/$set/repositories"
	done
}

cat >"$CONF" <<EOF
# vzpkg configuration written by bench/update-cache.sh; everything stays in $BENCH
TEMPLATE=$TPL
PKG_CACHE=$PKG_CACHE
METADATA_CACHE=$METADATA_CACHE
TMP_DIR=$VZ_TMP
LOCK_DIR=$LOCK_DIR
LOG_DIR=$LOG_DIR
METADATA_EXPIRE=0
EOF
# The same mirrors as url.map-style lines, for anything else in the template area that names them.
for v in DEBIAN_MIRROR DEBIAN_SECURITY_MIRROR; do
	if [[ -n ${mirror_var[$v]:-} ]]; then printf '$%s %s\n' "$v" "${mirror_var[$v]}" >>"$CONF"; fi
done

# ------------------------------------------------------------------ running
declare -A walls=() rsss=() out_bytes=() pkgs=() dl=()
changes=()   # per repetition: "total updates new removed", from vzpkg status
mismatches=0

wipe_dir() { rm -rf --one-file-system "$1"; mkdir -p "$1"; }

# run_step LABEL CMD... : runs CMD under /usr/bin/time in the background (so
# that Ctrl-C runs the trap at once: bash defers traps while a foreground
# command runs), stdout to runs/LABEL.out, stderr to runs/LABEL.log. Sets
# step_rc, step_wall, step_rss; never exits.
run_step() {
	local label=$1 tf=$RUNLOG/$1.time
	shift
	step_rc=0 step_wall="" step_rss=""
	running="$label: $*"
	/usr/bin/time -f '%e %M' -o "$tf" "$@" </dev/null >"$RUNLOG/$label.out" 2>"$RUNLOG/$label.log" &
	running_pid=$!
	wait "$running_pid" || step_rc=$?
	running="" running_pid=""
	read -r step_wall step_rss < <(tail -n 1 "$tf") || true
}

step_failed() {   # LABEL WHAT
	note "$1 failed (exit $step_rc): $2"
	note "---- last lines of $RUNLOG/$1.{out,log} (rerun with --keep to keep the logs):"
	tail -n 10 "$RUNLOG/$1.out" >&2 || true
	tail -n 30 "$RUNLOG/$1.log" >&2 || true
	exit 1
}

# must_run LABEL CMD... : an untimed step that must succeed.
must_run() {
	local label=$1
	shift
	run_step "$label" "$@"
	((step_rc == 0)) || step_failed "$label" "$*"
}

vzpkg_cache_file() {
	local f
	for f in "$TPL/cache/$OST".tar*; do
		[[ -f $f ]] && { printf '%s\n' "$f"; return 0; }
	done
	return 1
}

# The cache's templates/vzpackages (" name arch version" lines) into FILE.
save_vzpackages() {   # LABEL FILE
	local f
	f=$(vzpkg_cache_file) || die "$1: no $TPL/cache/$OST.tar* after a successful run"
	tar --zstd -xOf "$f" ./templates/vzpackages >"$2" 2>/dev/null ||
		die "$1: no ./templates/vzpackages in $f"
}

# timed KIND LABEL VZPKG-ARGS... : the measured run.
timed() {
	local kind=$1 label=$2 f d
	shift 2
	wipe_dir "$VZ_TMP"
	sync   # don't let the previous step's writeback land in this one
	run_step "$label" "$vzpkg_bin" -c "$CONF" "$@"
	((step_rc == 0)) || step_failed "$label" "vzpkg -c $CONF $*"
	walls[$kind]+="$step_wall "
	rsss[$kind]+="$step_rss "
	f=$(vzpkg_cache_file) || die "$label succeeded but wrote no $TPL/cache/$OST.tar*"
	out_bytes[$kind]=$(stat -c %s "$f")
	# "OST: PATH (S MiB, N packages, built in T s, D MiB downloaded)"
	d=$(sed -n 's/.*, \([0-9.]*\) MiB downloaded).*/\1/p' "$RUNLOG/$label.out" | tail -n 1)
	dl[$kind]+="${d:-?} "
	note "$(printf '  %-18s %8.2f s %8.1f MiB   (%s MiB downloaded)' "$label" "$step_wall" \
		"$(awk -v k="$step_rss" 'BEGIN { printf "%.1f", k / 1024 }')" "${d:-?}")"
}

# The stale cache: built from suite $SUITE only, untimed; then the template
# gets its full repositories back.
build_stale() {   # LABEL
	use_repositories stale
	wipe_dir "$VZ_TMP"
	must_run "$1" "$vzpkg_bin" -c "$CONF" create cache -f "$OST"
	use_repositories full
}

vzpkg_version=$("$vzpkg_bin" --version 2>/dev/null | head -n 1) || true

note "bench directory: $BENCH"
note "mirror:          ${mirror_var[DEBIAN_MIRROR]:-(none)}"
note "security mirror: ${mirror_var[DEBIAN_SECURITY_MIRROR]:-(none)}"
for s in "${stable_sources[@]}"; do note "stale source:    $s"; done
for s in "${full_sources[@]}"; do note "full source:     $s"; done

rm -rf --one-file-system "$TPL/cache"
mkdir -p "$TPL/cache"
for ((rep = 1; rep <= reps; rep++)); do
	note "repetition $rep/$reps"

	# --- update cache
	build_stale "stale-a-$rep"
	# Everything the full repositories need goes into the package cache now,
	# untimed, so that neither timed run downloads packages the other did not.
	must_run "fetch-$rep" "$vzpkg_bin" -c "$CONF" fetch "$OST"
	run_step "status-stale-$rep" "$vzpkg_bin" -c "$CONF" status "$OST"
	if ((step_rc == 0)); then
		die "status-stale-$rep: the cache built from $SUITE alone is already current: the other repositories have nothing newer for $OST; nothing to measure"
	elif ((step_rc != EXIT_STALE)); then
		step_failed "status-stale-$rep" "vzpkg status $OST (wanted exit $EXIT_STALE)"
	fi
	read -r n_up n_new n_rm < <(awk '
		/^  / { if ($0 ~ / -> /) u++; else if ($0 ~ /\(new\)/) a++; else if ($0 ~ /\(removed\)/) r++ }
		END { print u + 0, a + 0, r + 0 }' "$RUNLOG/status-stale-$rep.out")
	changes+=("$((n_up + n_new + n_rm)) $n_up $n_new $n_rm")
	note "  status: stale (exit $EXIT_STALE), $((n_up + n_new + n_rm)) packages listed: $n_up newer, $n_new new, $n_rm removed"

	timed update "update-cache-$rep" update cache "$OST"
	run_step "status-updated-$rep" "$vzpkg_bin" -c "$CONF" status "$OST"
	((step_rc == 0)) || step_failed "status-updated-$rep" "vzpkg status $OST after update cache (wanted exit 0)"
	save_vzpackages "update-cache-$rep" "$RUNLOG/update-cache-$rep.vzpackages"
	pkgs[update]=$(wc -l <"$RUNLOG/update-cache-$rep.vzpackages")

	# --- rebuild
	build_stale "stale-b-$rep"
	timed rebuild "rebuild-$rep" create cache -f "$OST"
	save_vzpackages "rebuild-$rep" "$RUNLOG/rebuild-$rep.vzpackages"
	pkgs[rebuild]=$(wc -l <"$RUNLOG/rebuild-$rep.vzpackages")
	if ! cmp -s "$RUNLOG/update-cache-$rep.vzpackages" "$RUNLOG/rebuild-$rep.vzpackages"; then
		mismatches=$((mismatches + 1))
		note "  WARNING: repetition $rep: the updated cache's templates/vzpackages differs from the rebuilt one's:"
		diff "$RUNLOG/update-cache-$rep.vzpackages" "$RUNLOG/rebuild-$rep.vzpackages" | sed 's/^/    /' | head -n 20 >&2 || true
	fi
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
median_or_q() {   # "v1 v2 ..." (some may be '?') -> median of the numbers, or '?'
	local v=${1//\?/}
	if [[ $v =~ [0-9] ]]; then stats "$v" | awk '{ print $1 }'; else echo '?'; fi
}
json_list() { tr ' ' '\n' <<<"$1" | awk 'NF { print ($0 ~ /^[0-9.]+$/) ? $0 : "null" }' | paste -sd, | sed 's/,/, /g'; }

kinds=(update rebuild)
declare -A med=() lo=() hi=() rss_med=()
for k in "${kinds[@]}"; do
	read -r "med[$k]" "lo[$k]" "hi[$k]" < <(stats "${walls[$k]}")
	read -r "rss_med[$k]" _ _ < <(stats "${rsss[$k]}")
done
name_of() { case $1 in update) echo update-cache ;; *) echo "$1" ;; esac; }
cmd_of() { case $1 in update) echo "vzpkg update cache $OST" ;; *) echo "vzpkg create cache -f $OST" ;; esac; }
r_value=$(ratio "${med[update]}" "${med[rebuild]}")
changed_list=""
for c in "${changes[@]}"; do changed_list+="${c%% *} "; done
read -r last_total last_up last_new last_rm <<<"${changes[-1]}"

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
		printf '  "order": %s,\n' "$(json_str "interleaved: update-cache, rebuild")"
		printf '  "mirror": %s,\n' "$(json_str "${mirror_var[DEBIAN_MIRROR]:-}")"
		printf '  "security_mirror": %s,\n' "$(json_str "${mirror_var[DEBIAN_SECURITY_MIRROR]:-}")"
		printf '  "stale_sources": ['
		sep=""
		for s in "${stable_sources[@]}"; do printf '%s%s' "$sep" "$(json_str "$s")"; sep=", "; done
		printf '],\n'
		printf '  "full_sources": ['
		sep=""
		for s in "${full_sources[@]}"; do printf '%s%s' "$sep" "$(json_str "$s")"; sep=", "; done
		printf '],\n'
		printf '  "vzpkg": %s,\n' "$(json_str "${vzpkg_version:-}")"
		printf '  "caches": %s,\n' "$(json_str "$CACHE_NOTE")"
		printf '  "rss_note": %s,\n' "$(json_str "$RSS_NOTE")"
		printf '  "status_changes": ['
		sep=""
		for c in "${changes[@]}"; do
			read -r t u a r <<<"$c"
			printf '%s\n    {"total": %s, "updates": %s, "new": %s, "removed": %s}' "$sep" "$t" "$u" "$a" "$r"
			sep=","
		done
		printf '\n  ],\n'
		printf '  "vzpackages_mismatches": %d,\n' "$mismatches"
		printf '  "results": {\n'
		sep=""
		for k in "${kinds[@]}"; do
			printf '%s    %s: {' "$sep" "$(json_str "$(name_of "$k")")"
			printf '"command": %s, ' "$(json_str "$(cmd_of "$k")")"
			printf '"wall_s": [%s], ' "$(json_list "${walls[$k]}")"
			printf '"peak_rss_kib": [%s], ' "$(json_list "${rsss[$k]}")"
			printf '"downloaded_mib": [%s], ' "$(json_list "${dl[$k]}")"
			printf '"median_wall_s": %s, "min_wall_s": %s, "max_wall_s": %s, ' "${med[$k]}" "${lo[$k]}" "${hi[$k]}"
			printf '"median_peak_rss_mib": %s, ' "$(mib "${rss_med[$k]}" 1024)"
			printf '"output_bytes": %s, ' "${out_bytes[$k]:-null}"
			printf '"packages": %s}' "${pkgs[$k]:-null}"
			sep=$',\n'
		done
		printf '\n  },\n'
		printf '  "ratios": {\n'
		printf '    "update-cache/rebuild": {"value": %s, "target_max": %s, "met": %s}\n' "$r_value" "$TARGET_UPDATE" \
			"$([[ $(met "$r_value" "$TARGET_UPDATE") == yes ]] && echo true || echo false)"
		printf '  }\n}\n'
	}
else
	printf '\nvzpkg update cache vs create cache -f, %s, %d repetition(s), interleaved (update-cache, rebuild)\n' "$OST" "$reps"
	printf 'vzpkg:      %s (%s)\n' "$vzpkg_bin" "${vzpkg_version:-version unknown}"
	for s in "${stable_sources[@]}"; do printf 'stale from: %s\n' "$s"; done
	for s in "${full_sources[@]}"; do printf 'full:       %s\n' "$s"; done
	printf 'caches:     %s\n' "$CACHE_NOTE"
	printf '\n%-13s %9s %8s %8s %13s %9s %6s %7s\n' tool median_s min_s max_s peak_RSS_MiB out_MiB pkgs dl_MiB
	for k in "${kinds[@]}"; do
		printf '%-13s %9s %8s %8s %13s %9s %6s %7s\n' "$(name_of "$k")" "${med[$k]}" "${lo[$k]}" "${hi[$k]}" \
			"$(mib "${rss_med[$k]}" 1024)" "$(mib "${out_bytes[$k]:-0}" 1048576)" "${pkgs[$k]:-?}" \
			"$(median_or_q "${dl[$k]}")"
	done
	printf '\npackages updated (vzpkg status on the stale cache): %s (%s newer, %s new, %s removed)' \
		"$last_total" "$last_up" "$last_new" "$last_rm"
	((reps > 1)) && printf '; per repetition: %s' "${changed_list% }"
	printf '\n'
	if ((mismatches)); then
		printf 'WARNING: in %d of %d repetition(s) the updated cache'\''s vzpackages differed from the rebuilt one'\''s\n' \
			"$mismatches" "$reps"
	else
		printf 'vzpackages:  the updated and the rebuilt caches list the same packages in every repetition\n'
	fi
	printf '\n%-24s %7s %8s %4s\n' ratio_of_medians value target met
	printf '%-24s %7s %8s %4s\n' "update-cache/rebuild" "$r_value" "<= $TARGET_UPDATE" "$(met "$r_value" "$TARGET_UPDATE")"
	printf '\nnote: %s.\n' "$RSS_NOTE"
fi
