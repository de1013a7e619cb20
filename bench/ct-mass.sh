#!/usr/bin/env bash
# Benchmark: many identical containers, handled by vzpkg all at once, against
# the loop a user would otherwise run over them, one container after the other:
#   (a) update:  vzpkg update --all
#                vs  apt-get update && apt-get -y upgrade       in each container
#   (b) install: vzpkg install --all web  (application template: nginx-light)
#                vs  apt-get update && apt-get -y install nginx-light  in each container
# The apt-get commands run inside the containers with `vzpkg exec --net CTID`.
#
# The containers (-c N, default 20) are created with `vzpkg create ct` from a
# debian-12-x86_64-minimal cache built from the stable suite only (the
# template's repository lines for suite bookworm); then the template gets its
# other repositories back (bookworm-updates, bookworm-security) and each
# container's apt sources list the same three suites, so both sides see the
# same updates. This set is made once (untimed) and copied (cp -a) before every
# timed run, so every run starts from the same state, with the same vzpkg
# package and metadata caches (those left by creating the containers). The
# mirror is read from the host's apt sources at run time. Everything (template
# area, caches, container configs and private areas, temp, locks, logs) lives
# in one bench directory that is removed on exit; /vz and /etc/vz are never
# touched.
#
# Usage: bench/ct-mass.sh [-c N] [-n N] [--vzpkg PATH] [--templates DIR]
#                         [--workdir DIR] [--keep] [--json]
set -euo pipefail
export LC_ALL=C   # '.' as decimal point in printf/awk, plain sort order

readonly OST=debian-12-x86_64-minimal      # the containers' OS template
readonly OST_DIR=debian/12/x86_64          # its place in the template area
readonly OST_SET=minimal
readonly SUITE=bookworm                    # the stable suite the containers are created from
readonly APP=web                           # the application template the bench writes
readonly APP_PKGS=(nginx-light lighttpd)   # its package: the first one the stable suite has
readonly TARGET_UPDATE=0.1                 # vzpkg update --all / apt-get loop, at most
readonly EXIT_STALE=22                     # vzpkg status: not up to date
readonly FIRST_CTID=101
readonly PARALLEL_CONTAINERS=2
readonly RSS_NOTE="peak RSS is the largest single process of the run (GNU time %M, i.e. ru_maxrss of the biggest child), not the sum over all processes"
readonly DL_NOTE="vzpkg: files that appeared in its package cache (pkg) and metadata cache (idx: InRelease and index files, not the .solv/.verified files it derives) during the run; apt-get loop: idx is the sum of apt-get update's 'Fetched' lines (apt's 1000-based units, 3 digits), pkg the .deb files left in each container's /var/cache/apt/archives"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

n_cts=20
reps=1
vzpkg_bin=$REPO_ROOT/build/vzpkg/vzpkg
templates=$REPO_ROOT/templates
workdir_parent=${TMPDIR:-/var/tmp}
keep=0
json=0

usage() {
	cat <<EOF
Usage: $0 [options]

Times vzpkg on N identical, stale $OST containers against a loop over them
with apt-get inside each container (vzpkg exec --net CTID -- sh -c '...'):
  update:  'vzpkg update --all'       vs  'apt-get update && apt-get -y upgrade'
  install: 'vzpkg install --all $APP'  vs  'apt-get update && apt-get -y install ${APP_PKGS[0]}'
The containers are created from a cache built from suite $SUITE only, before the
template's other repositories were added; every timed run starts from a fresh
copy of the same containers.

  -c N             containers (default $n_cts)
  -n N             repetitions of each kind (default $reps: a loop over 20 containers takes minutes)
  --vzpkg PATH     vzpkg binary (default: build/vzpkg/vzpkg in the repo); copied into the bench directory
  --templates DIR  template area to copy (default: the repo's templates/)
  --workdir DIR    where to create the bench directory (default: \$TMPDIR or /var/tmp)
  --keep           keep the bench directory (logs, caches, containers, config) and print its path
  --json           print the results as JSON on stdout (progress stays on stderr)
  -h, --help       this text

The mirrors come from the host's apt sources (the entries for suites $SUITE and
$SUITE-security); DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR in the environment override them.
Must run as root. Needs about 250 MB of disk per container.
EOF
}

die() { printf 'ct-mass.sh: %s\n' "$*" >&2; exit 1; }
note() { printf '%s\n' "$*" >&2; }

while (($#)); do
	case $1 in
	-c) [[ $# -ge 2 ]] || die "-c needs a number"; n_cts=$2; shift 2 ;;
	-c*) n_cts=${1#-c}; shift ;;
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
if ! [[ $n_cts =~ ^[1-9][0-9]*$ ]] || ((n_cts > 500)); then die "-c wants an integer from 1 to 500, got '$n_cts'"; fi

# ---------------------------------------------------------------- preconditions
[[ $EUID -eq 0 ]] || die "must be run as root (vzpkg needs it to create, enter and update containers)"

missing=()
[[ -x /usr/bin/time ]] || missing+=(time)
command -v xz >/dev/null || missing+=(xz-utils)
if ((${#missing[@]})); then
	note "ct-mass.sh: missing: ${missing[*]}"
	note "install with:  apt-get install ${missing[*]}"
	exit 1
fi

[[ -x $vzpkg_bin ]] || die "no vzpkg binary at $vzpkg_bin; build it (cmake -S . -B build && cmake --build build) or pass --vzpkg PATH"
vzpkg_bin=$(cd "$(dirname "$vzpkg_bin")" && pwd)/$(basename "$vzpkg_bin")
for c in "create ct" "update" "install" "exec"; do
	# shellcheck disable=SC2086  # "create ct" is two words
	"$vzpkg_bin" $c --help >/dev/null 2>&1 || die "$vzpkg_bin has no '$c' command; rebuild it from a newer tree"
done
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

# Every repository line, expanded, without vzpkg's "[priority=N]", in order:
# for the output, the sanity checks and the containers' apt sources.
full_sources=()
stable_sources=()
for f in "${repo_files[@]}"; do
	while IFS= read -r line || [[ -n $line ]]; do
		s=$(line_suite "$line") || die "$f: expected 'URL suite component...', got '$line'"
		[[ -n $s ]] || continue
		line=$(expand_line "${line%%#*}")
		[[ $line == *'$'* ]] && die "$f: unknown variable in '$line' (only \$DEBIAN_MIRROR and \$DEBIAN_SECURITY_MIRROR are expanded)"
		[[ $line =~ ^[[:space:]]*\[[^]]*\](.*)$ ]] && line=${BASH_REMATCH[1]}
		read -r -a words <<<"$line"
		full_sources+=("${words[*]}")
		[[ $s == "$SUITE" ]] && stable_sources+=("${words[*]}")
	done <"$f"
done
((${#stable_sources[@]})) || die "${repo_files[*]}: no repository for suite $SUITE"
((${#full_sources[@]} > ${#stable_sources[@]})) ||
	die "${repo_files[*]}: only suite $SUITE; the template needs more repositories (e.g. $SUITE-updates, $SUITE-security) for containers made from $SUITE alone to be stale"

# --------------------------------------------------------------- bench area
mkdir -p "$workdir_parent"
BENCH=$(mktemp -d "$workdir_parent/vzpkg-bench.XXXXXX")
chmod 0755 "$BENCH"   # apt's unprivileged _apt user must reach the containers' directories
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
# would not forward it: vzpkg, or the bash running the apt-get loop, which
# passes it on to its vzpkg exec), give it time to clean up, then SIGKILL.
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

VZ=$BENCH/bin/vzpkg         # a copy: the build tree's binary may be rebuilt meanwhile
TPL=$BENCH/template
PKG_CACHE=$BENCH/pkg-cache
METADATA_CACHE=$BENCH/metadata-cache
VZ_TMP=$BENCH/tmp
LOCK_DIR=$BENCH/lock
LOG_DIR=$BENCH/log
CONF_DIR=$BENCH/conf         # the containers' configs (CTID.conf)
PRIVATE=$BENCH/private       # their private areas (VE_PRIVATE)
BASELINE=$BENCH/baseline     # the fresh containers, copied before every timed run
SNAPSHOT=$BENCH/cache-snapshot # vzpkg's caches as creating the containers left them
REPOS=$BENCH/repositories    # the stale and the full versions of each repositories file
RUNLOG=$BENCH/runs           # each step's stdout, stderr, time output; per-container logs
CONF=$BENCH/vzpkg.conf
mkdir -p "$BENCH/bin" "$TPL" "$PKG_CACHE" "$METADATA_CACHE" "$VZ_TMP" "$LOCK_DIR" "$LOG_DIR" "$REPOS" "$RUNLOG" \
	"$BASELINE" "$SNAPSHOT"
cp "$vzpkg_bin" "$VZ"

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
# vzpkg configuration written by bench/ct-mass.sh; everything stays in $BENCH
TEMPLATE=$TPL
PKG_CACHE=$PKG_CACHE
METADATA_CACHE=$METADATA_CACHE
TMP_DIR=$VZ_TMP
LOCK_DIR=$LOCK_DIR
LOG_DIR=$LOG_DIR
METADATA_EXPIRE=0
CONF_DIR=$CONF_DIR
VE_PRIVATE=$PRIVATE/\$VEID
PARALLEL_CONTAINERS=$PARALLEL_CONTAINERS
EOF
# The same mirrors as url.map-style lines, for anything else in the template area that names them.
for v in DEBIAN_MIRROR DEBIAN_SECURITY_MIRROR; do
	if [[ -n ${mirror_var[$v]:-} ]]; then printf '$%s %s\n' "$v" "${mirror_var[$v]}" >>"$CONF"; fi
done

ctids=()
for ((i = 0; i < n_cts; i++)); do ctids+=("$((FIRST_CTID + i))"); done

# ------------------------------------------------------------------ helpers
wipe_dir() { rm -rf --one-file-system "$1"; mkdir -p "$1"; }

# run_step LABEL CMD... : runs CMD under /usr/bin/time in the background (so
# that Ctrl-C runs the trap at once: bash defers traps while a foreground
# command runs), stdout to runs/LABEL.out, stderr to runs/LABEL.log. Sets
# step_rc, step_wall, step_rss; never exits. $step_desc, when set, says what
# runs in the interrupt message instead of the command line.
step_desc=""
run_step() {
	local label=$1 tf=$RUNLOG/$1.time
	shift
	step_rc=0 step_wall="" step_rss=""
	running="$label: ${step_desc:-$*}"
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

# Installed packages of a root, "name:arch version" per line, sorted.
dpkg_versions() {   # ROOT
	awk '/^Package:/ { p = $2 } /^Architecture:/ { a = $2 } /^Version:/ { v = $2 } /^Status:/ { s = $4 }
		/^$/ { if (s == "installed") print p ":" a, v; p = a = v = s = "" }
		END { if (s == "installed") print p ":" a, v }' "$1/var/lib/dpkg/status" | sort
}

# Every container's versions into DIR/CTID.
save_versions() {   # DIR
	local id
	mkdir -p "$1"
	for id in "${ctids[@]}"; do dpkg_versions "$PRIVATE/$id" >"$1/$id"; done
}

# "N" distinct "name:arch version" lines the containers have and the
# baseline had not; the lines go to OUT.
changed_packages() {   # VERSIONS_DIR OUT
	local id
	for id in "${ctids[@]}"; do comm -13 "$BASELINE_VERSIONS" "$1/$id"; done | sort -u >"$2"
	wc -l <"$2"
}

# "inode size path" of every file under DIR, sorted: what a run added is
# what the listing after it has and the one before it had not (a file
# replaced by a download has a new inode).
listing() {   # DIR
	find "$1" -type f ! -name '*.part' -printf '%i %s %P\n' | sort
}

# "files bytes" that appeared between two listings; metadata files that vzpkg
# derives itself (parsed .solv, verified Release copies, stamps, ETags, locks)
# are not downloads and not counted.
appeared() {   # BEFORE AFTER metadata|packages
	comm -13 "$1" "$2" | awk -v kind="$3" '
		kind == "metadata" && ($3 ~ /^solv\// || $3 ~ /\.(verified|etag|lock)$/ || $3 ~ /(^|\/)\.(checked|lock)$/) { next }
		{ n++; b += $2 }
		END { printf "%d %d\n", n, b }'
}

# Fresh containers for a timed run: the baseline copied into place and
# vzpkg's caches put back as creating the containers left them.
prepare_run() {
	rm -rf --one-file-system "$CONF_DIR" "$PRIVATE" "$PKG_CACHE" "$METADATA_CACHE"
	cp -a "$BASELINE/conf" "$CONF_DIR"
	cp -a "$BASELINE/private" "$PRIVATE"
	cp -a "$SNAPSHOT/pkg-cache" "$PKG_CACHE"
	cp -a "$SNAPSHOT/metadata-cache" "$METADATA_CACHE"
	wipe_dir "$VZ_TMP"
	rm -f "$LOG_DIR"/ct-*.log
	sync   # don't let the copy's writeback land in the timed run
}

# The loop a user runs without vzpkg: one container after the other. Each
# command runs in the background and is waited for, so a SIGTERM reaches this
# bash at once; it passes it on to the running vzpkg exec, which kills its
# container. Per container: OUT/ct-ID.log (all output) and OUT/ct-ID.rc.
# shellcheck disable=SC2016  # expanded by the bash that runs it
readonly APT_LOOP='
	vz=$1 conf=$2 out=$3 cmd=$4
	shift 4
	child=""
	trap '\''[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; [ -n "$child" ] && wait "$child"; exit 143'\'' TERM INT
	for id; do
		"$vz" -c "$conf" exec --net "$id" -- sh -c "$cmd" </dev/null >"$out/ct-$id.log" 2>&1 &
		child=$!
		rc=0
		wait "$child" || rc=$?
		child=""
		echo "$rc" >"$out/ct-$id.rc"
	done'

# ------------------------------------------------------------------ results store
# Kinds: vz-update apt-update vz-install apt-install. Per kind, one value per repetition.
kinds=(vz-update apt-update vz-install apt-install)
declare -A walls=() rsss=() dl=() idx=() pkgb=() pkgf=() failed=() changed=() mism=()
declare -A last_changed_file=() last_versions=()
failed_notes=()   # "kind rep ctid message"

# After a vzpkg run: failed containers from its output ("container ID: FAILED: ...").
vz_failures() {   # KIND REP LABEL
	local kind=$1 rep=$2 label=$3 n=0 id msg shown=0
	while IFS= read -r line; do
		[[ $line =~ ^container\ ([^:]+):\ FAILED:\ (.*)$ ]] || continue
		id=${BASH_REMATCH[1]} msg=${BASH_REMATCH[2]}
		n=$((n + 1))
		failed_notes+=("$kind $rep $id $msg")
		if ((shown < 3)); then
			note "  container $id FAILED: $msg"
			note "  ---- last lines of its log $LOG_DIR/ct-$id.log (copied to $RUNLOG/$label.ct-logs/):"
			tail -n 15 "$LOG_DIR/ct-$id.log" 2>/dev/null | sed 's/^/    /' >&2 || true
			shown=$((shown + 1))
		fi
	done <"$RUNLOG/$label.out"
	if ((step_rc != 0 && n == 0)); then
		# vzpkg failed before any container's transaction (e.g. a download): all of them.
		n=$n_cts
		failed_notes+=("$kind $rep all exit $step_rc: $(tail -n 1 "$RUNLOG/$label.log" 2>/dev/null)")
		note "  vzpkg exited $step_rc; last lines of $RUNLOG/$label.log:"
		tail -n 15 "$RUNLOG/$label.log" | sed 's/^/    /' >&2 || true
	fi
	failed[$kind]+="$n "
}

# timed_vzpkg KIND REP VZPKG-ARGS...
timed_vzpkg() {
	local kind=$1 rep=$2 label="$1-$2" m p nf
	shift 2
	prepare_run
	listing "$PKG_CACHE" >"$RUNLOG/$label.pkg-before"
	listing "$METADATA_CACHE" >"$RUNLOG/$label.meta-before"
	run_step "$label" "$VZ" -c "$CONF" "$@"
	listing "$PKG_CACHE" >"$RUNLOG/$label.pkg-after"
	listing "$METADATA_CACHE" >"$RUNLOG/$label.meta-after"
	mkdir -p "$RUNLOG/$label.ct-logs"
	cp "$LOG_DIR"/ct-*.log "$RUNLOG/$label.ct-logs/" 2>/dev/null || true
	walls[$kind]+="$step_wall "
	rsss[$kind]+="$step_rss "
	read -r _ m < <(appeared "$RUNLOG/$label.meta-before" "$RUNLOG/$label.meta-after" metadata)
	read -r nf p < <(appeared "$RUNLOG/$label.pkg-before" "$RUNLOG/$label.pkg-after" packages)
	idx[$kind]+="$m "
	pkgb[$kind]+="$p "
	pkgf[$kind]+="$nf "
	dl[$kind]+="$((m + p)) "
	vz_failures "$kind" "$rep" "$label"
	save_versions "$RUNLOG/$label.versions"
	last_versions[$kind]=$RUNLOG/$label.versions
	changed[$kind]+="$(changed_packages "$RUNLOG/$label.versions" "$RUNLOG/$label.changed") "
	last_changed_file[$kind]=$RUNLOG/$label.changed
	note "$(printf '  %-18s %8.2f s %8.1f MiB   (downloaded: %s MiB indexes, %s MiB in %s packages; exit %s)' "$label" \
		"$step_wall" "$(mib "$step_rss" 1024)" "$(mib "$m" 1048576)" "$(mib "$p" 1048576)" "$nf" "$step_rc")"
	if [[ -n $(find "$PRIVATE" -maxdepth 1 -name '*.vzpkg-snapshot' -print -quit) ]]; then
		note "  WARNING: $label left snapshot directories: $(cd "$PRIVATE" && echo ./*.vzpkg-snapshot)"
	fi
}

# Bytes of an apt "Fetched" size ("15.8 MB", "4665 kB", "512 B"; 1000-based).
# Per container log: "IDX" = apt-get update's Fetched lines (before apt-get's
# "Building dependency tree"), "PKG" = the ones after.
apt_fetched() {   # LOG -> "idx_bytes pkg_bytes"
	awk '
		/^Building dependency tree/ { after = 1 }
		/^Fetched [0-9.,]+ [kMGT]?B in / {
			v = $2; gsub(/,/, "", v); u = $3
			m = (u == "kB") ? 1e3 : (u == "MB") ? 1e6 : (u == "GB") ? 1e9 : (u == "TB") ? 1e12 : 1
			if (after) p += v * m; else i += v * m
		}
		END { printf "%.0f %.0f\n", i, p }' "$1"
}

# timed_loop KIND REP SHELL-COMMAND
timed_loop() {
	local kind=$1 rep=$2 label="$1-$2" cmd=$3 out id rc i_sum=0 p_sum=0 f_sum=0 nfail=0 shown=0 i p f b
	out=$RUNLOG/$label.ct-logs
	prepare_run
	mkdir -p "$out"
	step_desc="for each of ${ctids[*]}: vzpkg exec --net CTID -- sh -c '$cmd'"
	run_step "$label" bash -c "$APT_LOOP" apt-loop "$VZ" "$CONF" "$out" "$cmd" "${ctids[@]}"
	step_desc=""
	((step_rc == 0)) || note "  WARNING: the loop itself exited $step_rc"
	walls[$kind]+="$step_wall "
	rsss[$kind]+="$step_rss "
	: >"$RUNLOG/$label.debs"
	for id in "${ctids[@]}"; do
		rc=$(cat "$out/ct-$id.rc" 2>/dev/null || echo '?')
		read -r i p < <(apt_fetched "$out/ct-$id.log")
		# The packages apt-get downloaded: what it left in its archive cache
		# (exact sizes); if it left nothing, its "Fetched" line after the solve.
		f=0 b=0
		while IFS=' ' read -r sz name; do
			f=$((f + 1)) b=$((b + sz))
			printf '%s %s\n' "$sz" "$name" >>"$RUNLOG/$label.debs"
		done < <(find "$PRIVATE/$id/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -printf '%s %f\n' 2>/dev/null)
		((f > 0)) || b=$p
		i_sum=$((i_sum + i)) p_sum=$((p_sum + b)) f_sum=$((f_sum + f))
		if [[ $rc != 0 ]] || grep -Eq '^(Err:|E: )|Failed to fetch' "$out/ct-$id.log"; then
			nfail=$((nfail + 1))
			failed_notes+=("$kind $rep $id exit $rc: $(grep -E '^(Err:|E: |W: Failed)' "$out/ct-$id.log" | head -n 1)")
			if ((shown < 3)); then
				note "  container $id FAILED (exit $rc); last lines of $out/ct-$id.log:"
				tail -n 15 "$out/ct-$id.log" | sed 's/^/    /' >&2 || true
				shown=$((shown + 1))
			fi
		fi
	done
	idx[$kind]+="$i_sum "
	pkgb[$kind]+="$p_sum "
	pkgf[$kind]+="$f_sum "
	dl[$kind]+="$((i_sum + p_sum)) "
	failed[$kind]+="$nfail "
	save_versions "$RUNLOG/$label.versions"
	last_versions[$kind]=$RUNLOG/$label.versions
	changed[$kind]+="$(changed_packages "$RUNLOG/$label.versions" "$RUNLOG/$label.changed") "
	last_changed_file[$kind]=$RUNLOG/$label.changed
	note "$(printf '  %-18s %8.2f s %8.1f MiB   (downloaded: %s MiB indexes, %s MiB in %s packages; %s failed)' "$label" \
		"$step_wall" "$(mib "$step_rss" 1024)" "$(mib "$i_sum" 1048576)" "$(mib "$p_sum" 1048576)" "$f_sum" "$nfail")"
}

# Containers whose versions differ between two runs; the first one's
# differences into OUT as "package vzpkg-version apt-version" lines ('-': not installed).
compare_versions() {   # VZ_DIR APT_DIR OUT -> count
	local id n=0
	: >"$3"
	for id in "${ctids[@]}"; do
		cmp -s "$1/$id" "$2/$id" && continue
		n=$((n + 1))
		if [[ ! -s $3 ]]; then
			{ printf 'container %s\n' "$id"
			  join -a1 -a2 -e - -o 0,1.2,2.2 <(sort "$1/$id") <(sort "$2/$id") | awk '$2 != $3'
			} >"$3"
		fi
	done
	echo "$n"
}

mib() { awk -v b="$1" -v d="$2" 'BEGIN { printf "%.1f", b / d }'; }   # VALUE DIVISOR

# ------------------------------------------------------------------ setup
vzpkg_version=$("$VZ" --version 2>/dev/null | head -n 1) || true

note "bench directory: $BENCH"
note "vzpkg:           $vzpkg_bin (copied to $VZ; ${vzpkg_version:-version unknown})"
note "mirror:          ${mirror_var[DEBIAN_MIRROR]:-(none)}"
note "security mirror: ${mirror_var[DEBIAN_SECURITY_MIRROR]:-(none)}"
for s in "${stable_sources[@]}"; do note "stale source:    $s"; done
for s in "${full_sources[@]}"; do note "full source:     $s"; done

note "setup (untimed): the stale cache, $n_cts containers, their apt sources"
use_repositories stale
must_run build-stale "$VZ" -c "$CONF" create cache -f "$OST"
for id in "${ctids[@]}"; do
	must_run "create-ct-$id" "$VZ" -c "$CONF" create ct "$id" --ostemplate "$OST"
done
use_repositories full

# The application template's package: the first of APP_PKGS the stable suite
# has (from the Packages index vzpkg just downloaded).
app_pkg=""
for cand in "${APP_PKGS[@]}"; do
	for f in "$METADATA_CACHE"/by-hash/*; do
		[[ -f $f ]] || continue
		case $f in
		*.xz) dec=(xz -dc) ;;
		*.gz) dec=(gzip -dc) ;;
		*) dec=(cat) ;;
		esac
		if "${dec[@]}" "$f" 2>/dev/null | grep -x "Package: $cand" >/dev/null; then app_pkg=$cand; break 2; fi
	done
done
[[ -n $app_pkg ]] || die "none of ${APP_PKGS[*]} is in suite $SUITE's Packages index (in $METADATA_CACHE/by-hash/)"
mkdir -p "$TPL/$OST_DIR/config/app/$APP/default"
printf '%s\n' "$app_pkg" >"$TPL/$OST_DIR/config/app/$APP/default/packages"
printf 'web server (%s), written by bench/ct-mass.sh\n' "$app_pkg" >"$TPL/$OST_DIR/config/app/$APP/default/summary"

# Each container's apt sources: the full repositories, in the form vzpkg
# writes them (one deb822 stanza per repository, its first URL, the same
# Signed-By as the stale file); and the host's resolver configuration (the
# cache has no /etc/resolv.conf, and apt-get needs one to reach the mirror).
signed_by=$(awk '/^Signed-By:/ { sub(/^Signed-By:[ \t]*/, ""); print; exit }' \
	"$PRIVATE/${ctids[0]}/etc/apt/sources.list.d/vzpkg.sources" 2>/dev/null) || true
{
	first=1
	for line in "${full_sources[@]}"; do
		read -r -a w <<<"$line"
		((first)) || printf '\n'
		first=0
		printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: %s\n' "${w[0]%%|*}" "${w[1]}" "${w[*]:2}"
		if [[ -n $signed_by ]]; then printf 'Signed-By: %s\n' "$signed_by"; fi
	done
} >"$BENCH/full.sources"
for id in "${ctids[@]}"; do
	cp "$BENCH/full.sources" "$PRIVATE/$id/etc/apt/sources.list.d/vzpkg.sources"
	if [[ ! -e $PRIVATE/$id/etc/resolv.conf ]]; then cat /etc/resolv.conf >"$PRIVATE/$id/etc/resolv.conf"; fi
done

# vzpkg's caches as the containers' creation left them: put back before every timed run.
cp -a "$PKG_CACHE" "$SNAPSHOT/pkg-cache"
cp -a "$METADATA_CACHE" "$SNAPSHOT/metadata-cache"

BASELINE_VERSIONS=$BASELINE/versions
dpkg_versions "$PRIVATE/${ctids[0]}" >"$BASELINE_VERSIONS"
for id in "${ctids[@]}"; do
	cmp -s "$BASELINE_VERSIONS" <(dpkg_versions "$PRIVATE/$id") || die "container $id differs from ${ctids[0]} after creation"
done

# What vzpkg says the containers lack (untimed; its metadata downloads do not
# count: the caches are put back before each timed run).
run_step status-before "$VZ" -c "$CONF" status --all
if ((step_rc == 0)); then
	die "status-before: containers made from $SUITE alone are already current: the other repositories have nothing newer; nothing to measure"
elif ((step_rc != EXIT_STALE)); then
	step_failed status-before "vzpkg status --all (wanted exit $EXIT_STALE)"
fi
pending=$(awk -v id="${ctids[0]}" '/^container / { on = ($2 == id ":") } on && /^  (install|remove) / { n++ } END { print n + 0 }' \
	"$RUNLOG/status-before.out")
n_pending_cts=$(grep -c '^container .*: pending$' "$RUNLOG/status-before.out" || true)
note "  vzpkg status: $n_pending_cts of $n_cts containers pending, $pending packages each"

mv "$CONF_DIR" "$BASELINE/conf"
mv "$PRIVATE" "$BASELINE/private"
note "  baseline: $(du -sh "$BASELINE/private" | awk '{ print $1 }') in $n_cts containers; application template $APP: $app_pkg"

# ------------------------------------------------------------------ running
readonly UPDATE_CMD='apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -y upgrade'
INSTALL_CMD="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -y install $app_pkg"
readonly INSTALL_CMD

status_after=()   # per repetition: vzpkg status --all exit code after vzpkg update --all
for ((rep = 1; rep <= reps; rep++)); do
	note "repetition $rep/$reps"
	timed_vzpkg vz-update "$rep" update --all
	run_step "status-after-$rep" "$VZ" -c "$CONF" status --all
	status_after+=("$step_rc")
	((step_rc == 0)) || note "  WARNING: vzpkg status --all after the update exited $step_rc (wanted 0)"
	timed_loop apt-update "$rep" "$UPDATE_CMD"
	mism[update]+="$(compare_versions "${last_versions[vz-update]}" "${last_versions[apt-update]}" "$RUNLOG/update-$rep.diff") "
	timed_vzpkg vz-install "$rep" install --all "$APP"
	timed_loop apt-install "$rep" "$INSTALL_CMD"
	mism[install]+="$(compare_versions "${last_versions[vz-install]}" "${last_versions[apt-install]}" "$RUNLOG/install-$rep.diff") "
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
med_of() { stats "$1" | awk '{ print $1 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }
met() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t) ? "yes" : "no" }'; }
max_of() { tr ' ' '\n' <<<"$1" | awk 'NF && $1 > m { m = $1 } END { print m + 0 }'; }
json_list() { tr ' ' '\n' <<<"$1" | awk 'NF { print ($0 ~ /^[0-9.]+$/) ? $0 : "null" }' | paste -sd, | sed 's/,/, /g'; }
json_str() {
	local s=$1
	s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/ }; s=${s//$'\n'/\\n}
	printf '"%s"' "$s"
}

declare -A med=() lo=() hi=() rss_med=()
for k in "${kinds[@]}"; do
	read -r "med[$k]" "lo[$k]" "hi[$k]" < <(stats "${walls[$k]}")
	read -r "rss_med[$k]" _ _ < <(stats "${rsss[$k]}")
done
task_of() { case $1 in *update) echo update ;; *) echo install ;; esac; }
tool_of() { case $1 in vz-*) echo vzpkg ;; *) echo apt-loop ;; esac; }
cmd_of() {
	case $1 in
	vz-update) echo "vzpkg update --all" ;;
	vz-install) echo "vzpkg install --all $APP" ;;
	apt-update) echo "for each CTID: vzpkg exec --net CTID -- sh -c '$UPDATE_CMD'" ;;
	apt-install) echo "for each CTID: vzpkg exec --net CTID -- sh -c '$INSTALL_CMD'" ;;
	esac
}

r_update=$(ratio "${med[vz-update]}" "${med[apt-update]}")
r_install=$(ratio "${med[vz-install]}" "${med[apt-install]}")
r_dl_update=$(ratio "$(med_of "${dl[vz-update]}")" "$(med_of "${dl[apt-update]}")")
r_dl_install=$(ratio "$(med_of "${dl[vz-install]}")" "$(med_of "${dl[apt-install]}")")
# Each package once: in no repetition did vzpkg download more package files
# than the distinct new package versions its containers got.
once() {   # KIND -> "yes|no files distinct"
	local k=$1 f c i ok=yes
	read -r -a f <<<"${pkgf[$k]}"
	read -r -a c <<<"${changed[$k]}"
	for i in "${!f[@]}"; do ((f[i] <= c[i])) || ok=no; done
	echo "$ok ${f[-1]} ${c[-1]}"
}
read -r once_update once_update_f once_update_c < <(once vz-update)
read -r once_install once_install_f once_install_c < <(once vz-install)

# Differences, last repetition: "package vzpkg apt" lines after a "container ID" line.
diff_text() {   # TASK
	local file=$RUNLOG/$1-$reps.diff
	[[ -s $file ]] || return 0
	awk 'NR == 1 { next } { printf "    %-32s vzpkg %-28s apt-get %s\n", $1, $2, $3 }' "$file"
}

if ((json)); then
	{
		printf '{\n'
		printf '  "template": %s,\n' "$(json_str "$OST")"
		printf '  "containers": %d,\n' "$n_cts"
		printf '  "parallel_containers": %d,\n' "$PARALLEL_CONTAINERS"
		printf '  "repetitions": %d,\n' "$reps"
		printf '  "order": %s,\n' "$(json_str "interleaved: ${kinds[*]}")"
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
		printf '  "app_template": {"name": %s, "packages": [%s]},\n' "$(json_str "$APP")" "$(json_str "$app_pkg")"
		printf '  "status_before": {"pending_containers": %d, "packages_per_container": %d},\n' "$n_pending_cts" "$pending"
		printf '  "status_after_update": [%s],\n' "$(json_list "${status_after[*]}")"
		printf '  "downloads_note": %s,\n' "$(json_str "$DL_NOTE")"
		printf '  "rss_note": %s,\n' "$(json_str "$RSS_NOTE")"
		printf '  "results": {\n'
		sep=""
		for k in "${kinds[@]}"; do
			printf '%s    %s: {' "$sep" "$(json_str "$k")"
			printf '"command": %s, ' "$(json_str "$(cmd_of "$k")")"
			printf '"wall_s": [%s], ' "$(json_list "${walls[$k]}")"
			printf '"peak_rss_kib": [%s], ' "$(json_list "${rsss[$k]}")"
			printf '"downloaded_bytes": [%s], ' "$(json_list "${dl[$k]}")"
			printf '"index_bytes": [%s], ' "$(json_list "${idx[$k]}")"
			printf '"package_bytes": [%s], ' "$(json_list "${pkgb[$k]}")"
			printf '"package_files": [%s], ' "$(json_list "${pkgf[$k]}")"
			printf '"distinct_new_packages": [%s], ' "$(json_list "${changed[$k]}")"
			printf '"failed_containers": [%s], ' "$(json_list "${failed[$k]}")"
			printf '"median_wall_s": %s, "min_wall_s": %s, "max_wall_s": %s, ' "${med[$k]}" "${lo[$k]}" "${hi[$k]}"
			printf '"median_peak_rss_mib": %s}' "$(mib "${rss_med[$k]}" 1024)"
			sep=$',\n'
		done
		printf '\n  },\n'
		printf '  "version_mismatches": {"update": [%s], "install": [%s]},\n' \
			"$(json_list "${mism[update]}")" "$(json_list "${mism[install]}")"
		printf '  "failures": ['
		sep=""
		for f in "${failed_notes[@]}"; do printf '%s\n    %s' "$sep" "$(json_str "$f")"; sep=","; done
		((${#failed_notes[@]})) && printf '\n  '
		printf '],\n'
		printf '  "ratios": {\n'
		printf '    "update vzpkg/apt-loop": {"value": %s, "target_max": %s, "met": %s},\n' "$r_update" "$TARGET_UPDATE" \
			"$([[ $(met "$r_update" "$TARGET_UPDATE") == yes ]] && echo true || echo false)"
		printf '    "install vzpkg/apt-loop": {"value": %s, "target_max": null, "met": null},\n' "$r_install"
		printf '    "update downloads vzpkg/apt-loop": {"value": %s},\n' "$r_dl_update"
		printf '    "install downloads vzpkg/apt-loop": {"value": %s},\n' "$r_dl_install"
		printf '    "update each package once": {"package_files": %s, "distinct_new_packages": %s, "met": %s},\n' \
			"$once_update_f" "$once_update_c" "$([[ $once_update == yes ]] && echo true || echo false)"
		printf '    "install each package once": {"package_files": %s, "distinct_new_packages": %s, "met": %s}\n' \
			"$once_install_f" "$once_install_c" "$([[ $once_install == yes ]] && echo true || echo false)"
		printf '  }\n}\n'
	}
else
	printf '\nvzpkg on %d containers vs a per-container apt-get loop, %s, %d repetition(s), interleaved\n' "$n_cts" "$OST" "$reps"
	printf 'vzpkg:      %s (%s), PARALLEL_CONTAINERS=%d\n' "$vzpkg_bin" "${vzpkg_version:-version unknown}" "$PARALLEL_CONTAINERS"
	for s in "${stable_sources[@]}"; do printf 'stale from: %s\n' "$s"; done
	for s in "${full_sources[@]}"; do printf 'full:       %s\n' "$s"; done
	for k in "${kinds[@]}"; do printf '%-11s %s\n' "$k:" "$(cmd_of "$k")"; done
	printf '\n%-8s %-9s %9s %8s %8s %13s %7s %8s %8s %6s %7s\n' task tool median_s min_s max_s peak_RSS_MiB dl_MiB idx_MiB pkg_MiB pkg_n failed
	for k in "${kinds[@]}"; do
		printf '%-8s %-9s %9s %8s %8s %13s %7s %8s %8s %6s %7s\n' "$(task_of "$k")" "$(tool_of "$k")" \
			"${med[$k]}" "${lo[$k]}" "${hi[$k]}" "$(mib "${rss_med[$k]}" 1024)" \
			"$(mib "$(med_of "${dl[$k]}")" 1048576)" "$(mib "$(med_of "${idx[$k]}")" 1048576)" \
			"$(mib "$(med_of "${pkgb[$k]}")" 1048576)" "$(med_of "${pkgf[$k]}" | awk '{ printf "%d", $1 }')" \
			"$(max_of "${failed[$k]}")/$n_cts"
	done

	printf '\nvzpkg status before: %d of %d containers pending, %d packages each\n' "$n_pending_cts" "$n_cts" "$pending"
	printf 'vzpkg status after vzpkg update --all: exit %s\n' "${status_after[*]}"
	for t in update install; do
		printf '%-8s distinct new package versions in the containers: vzpkg %s, apt-get %s\n' "$t:" \
			"$(wc -l <"${last_changed_file[vz-$t]}")" "$(wc -l <"${last_changed_file[apt-$t]}")"
	done
	for t in update install; do
		n=$(max_of "${mism[$t]}")
		if ((n == 0)); then
			printf 'dpkg status after %-7s the vzpkg and apt-get containers hold the same package versions\n' "$t:"
		else
			printf 'WARNING: dpkg status after %s: %d of %d containers differ between vzpkg and apt-get; %s:\n' \
				"$t" "$n" "$n_cts" "$(head -n 1 "$RUNLOG/$t-$reps.diff")"
			diff_text "$t"
		fi
	done
	if ((${#failed_notes[@]})); then
		printf 'failed containers (kind rep CTID message; logs: vzpkg %s/ct-CTID.log, copied to %s/KIND-REP.ct-logs/ like apt-get'\''s):\n' \
			"$LOG_DIR" "$RUNLOG"
		for f in "${failed_notes[@]}"; do printf '    %s\n' "$f"; done
	fi

	printf '\n%-34s %8s %10s %4s\n' ratio value target met
	printf '%-34s %8s %10s %4s\n' "update time vzpkg/apt-loop" "$r_update" "<= $TARGET_UPDATE" "$(met "$r_update" "$TARGET_UPDATE")"
	printf '%-34s %8s %10s %4s\n' "install time vzpkg/apt-loop" "$r_install" - -
	printf '%-34s %8s %10s %4s\n' "update downloads vzpkg/apt-loop" "$r_dl_update" - -
	printf '%-34s %8s %10s %4s\n' "install downloads vzpkg/apt-loop" "$r_dl_install" - -
	printf '%-34s %8s %10s %4s\n' "update pkg files/distinct new" "$once_update_f/$once_update_c" "each once" "$once_update"
	printf '%-34s %8s %10s %4s\n' "install pkg files/distinct new" "$once_install_f/$once_install_c" "each once" "$once_install"
	printf '\nnote: downloads: %s.\n' "$DL_NOTE"
	printf 'note: %s.\n' "$RSS_NOTE"
fi
