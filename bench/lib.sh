# shellcheck shell=bash
# What the bench scripts share: options, the host's Debian mirrors and the
# template's repositories, the bench directory and its cleanup, timed runs,
# statistics and output helpers. Each script sets `set -euo pipefail`, its
# constants (OST, OST_DIR; OST_SET and SUITE for the Debian ones), sources
# this file with
#     . "$(dirname "$0")/lib.sh"
# and keeps what it measures.

PROG=${0##*/}   # the script's name, for messages
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck disable=SC2034  # for the scripts' output
readonly RSS_NOTE="peak RSS is the largest single process of the run (GNU time %M, i.e. ru_maxrss of the biggest child), not the sum over all processes"

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }
note() { printf '%s\n' "$*" >&2; }

# ------------------------------------------------------------------ options
# The defaults; a script changes them after sourcing this file, before
# parse_options (its usage text shows them).
reps=3
vzpkg_bin=$REPO_ROOT/build/vzpkg/vzpkg
workdir_parent=${TMPDIR:-/var/tmp}
keep=0
json=0

# Options with a value, as "-o VALUE" or "-oVALUE" (short) and "--opt VALUE" or
# "--opt=VALUE" (long). A script adds its own with value_option.
declare -A opt_var=() opt_what=()
value_option() {   # OPTION VARIABLE WHAT: without a value, "OPTION needs WHAT"
	opt_var[$1]=$2 opt_what[$1]=$3
}
# Options without a value ("--running"): flag_option OPTION VARIABLE sets it to 1.
declare -A flag_var=()
flag_option() { flag_var[$1]=$2; printf -v "$2" '%s' 0; }
value_option -n reps "a number"
value_option --vzpkg vzpkg_bin "a path"
value_option --workdir workdir_parent "a directory"

# parse_options "$@": the value options, --keep, --json and -h/--help (the
# script's usage function); anything else is an error. Then checks -n.
# shellcheck disable=SC2034  # json is the script's
parse_options() {
	local opt val n
	while (($#)); do
		case $1 in
		--keep) keep=1; shift; continue ;;
		--json) json=1; shift; continue ;;
		-h | --help) usage; exit 0 ;;
		esac
		if [[ -n ${flag_var[$1]:-} ]]; then
			printf -v "${flag_var[$1]}" '%s' 1
			shift
			continue
		fi
		opt="" val="" n=1
		if [[ -n $1 && -n ${opt_var[$1]:-} ]]; then
			[[ $# -ge 2 ]] || die "$1 needs ${opt_what[$1]}"
			opt=$1 val=$2 n=2
		elif [[ $1 == --?*=* ]]; then
			opt=${1%%=*} val=${1#*=}
		elif [[ $1 == -[!-]?* ]]; then
			opt=${1:0:2} val=${1:2}
		fi
		if [[ -z $opt || -z ${opt_var[$opt]:-} ]]; then
			usage >&2
			die "unknown argument: $1"
		fi
		printf -v "${opt_var[$opt]}" '%s' "$val"
		shift "$n"
	done
	[[ $reps =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive integer, got '$reps'"
}

# select_kinds LIST KIND...: kinds, the KINDs that the --only LIST selects, in
# the order given (the interleaving order).
select_kinds() {
	local only=$1 k w ok
	local -a words
	shift
	kinds=()
	for k; do
		[[ ",$only," == *",$k,"* ]] && kinds+=("$k")
	done
	IFS=, read -r -a words <<<"$only"
	for w in "${words[@]}"; do
		ok=0
		for k; do [[ $w == "$k" ]] && ok=1; done
		((ok)) || die "--only: unknown kind '$w' ($(printf '%s\n' "$@" | paste -sd, | sed 's/,/, /g'))"
	done
	((${#kinds[@]})) || die "--only selects nothing"
}
want() { [[ " ${kinds[*]} " == *" $1 "* ]]; }
want_vzpkg() { want cold || want warm; }

# ------------------------------------------------------------ preconditions
need_root() { [[ $EUID -eq 0 ]] || die "must be run as root ($1)"; }

# The packages in missing (the script fills it): if any, say so and exit.
missing=()
exit_if_missing() {
	((${#missing[@]})) || return 0
	note "$PROG: missing: ${missing[*]}"
	note "install with:  apt-get install ${missing[*]}"
	exit 1
}

# vzpkg_bin must be a program; made absolute.
check_vzpkg() {
	[[ -x $vzpkg_bin ]] || die "no vzpkg binary at $vzpkg_bin; build it (cmake -S . -B build && cmake --build build) or pass --vzpkg PATH"
	vzpkg_bin=$(cd "$(dirname "$vzpkg_bin")" && pwd)/$(basename "$vzpkg_bin")
}

# templates (--templates) must hold the template; made absolute.
check_templates() {
	[[ -d $templates/$OST_DIR/config/os/default ]] ||
		die "no template $OST_DIR/config/os/default under $templates; pass --templates DIR"
	templates=$(cd "$templates" && pwd)
}

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

# read_repositories keep|strip: the template's repositories files (repo_sets: the
# set's own, then the base's, as the set inherits them; repo_files: their
# paths), the mirrors they name (mirror_var: DEBIAN_MIRROR,
# DEBIAN_SECURITY_MIRROR, from the environment or the host's apt sources for
# suites $SUITE and $SUITE-security), and every repository line, expanded
# ("URL suite component..."), in order (full_sources) and those for suite
# $SUITE (stable_sources); with "strip", without vzpkg's own "[priority=N]"
# (for tools other than vzpkg).
declare -A mirror_var=()
read_repositories() {
	local set f line s
	local -a words
	repo_sets=()
	for set in "$OST_SET" default; do
		[[ -f $templates/$OST_DIR/config/os/$set/repositories ]] && repo_sets+=("$set")
	done
	((${#repo_sets[@]})) || die "no repositories file in $templates/$OST_DIR/config/os/{$OST_SET,default}/"
	repo_files=()
	for set in "${repo_sets[@]}"; do repo_files+=("$templates/$OST_DIR/config/os/$set/repositories"); done

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

	full_sources=()
	stable_sources=()
	for f in "${repo_files[@]}"; do
		while IFS= read -r line || [[ -n $line ]]; do
			s=$(line_suite "$line") || die "$f: expected 'URL suite component...', got '$line'"
			[[ -n $s ]] || continue
			line=$(expand_line "${line%%#*}")
			[[ $line == *'$'* ]] && die "$f: unknown variable in '$line' (only \$DEBIAN_MIRROR and \$DEBIAN_SECURITY_MIRROR are expanded)"
			if [[ $1 == strip && $line =~ ^[[:space:]]*\[[^]]*\](.*)$ ]]; then line=${BASH_REMATCH[1]}; fi
			read -r -a words <<<"$line"
			full_sources+=("${words[*]}")
			if [[ $s == "$SUITE" ]]; then stable_sources+=("${words[*]}"); fi
		done <"$f"
	done
	((${#stable_sources[@]})) || die "${repo_files[*]}: no repository for suite $SUITE"
}

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

# The template's repositories file of SET with the mirrors' URLs written in (so
# that vzpkg cannot pick another mirror, whatever its own url map says): every
# line (full), or only the lines for suite $SUITE, comments kept (stale).
repositories_of() {   # SET full|stale
	local line s
	while IFS= read -r line || [[ -n $line ]]; do
		if [[ $2 == stale ]]; then
			s=$(line_suite "$line")
			[[ -z $s || $s == "$SUITE" ]] || continue
		fi
		expand_line "$line"
	done <"$templates/$OST_DIR/config/os/$1/repositories"
}

# Both versions of each repositories file into $REPOS/SET.full and SET.stale;
# use_repositories puts one of them into the template area.
save_repositories() {
	local set
	for set in "${repo_sets[@]}"; do
		repositories_of "$set" full >"$REPOS/$set.full"
		repositories_of "$set" stale >"$REPOS/$set.stale"
	done
}
use_repositories() {   # stale|full
	local set
	for set in "${repo_sets[@]}"; do
		cp "$REPOS/$set.$1" "$TPL/$OST_DIR/config/os/$set/repositories"
	done
}

note_mirrors() {
	note "mirror:          ${mirror_var[DEBIAN_MIRROR]:-(none)}"
	note "security mirror: ${mirror_var[DEBIAN_SECURITY_MIRROR]:-(none)}"
}

# --------------------------------------------------------------- bench area
running=""     # what is running now, for the interrupt message
running_pid="" # its /usr/bin/time process

# make_bench PREFIX: the bench directory BENCH, $workdir_parent/PREFIX.XXXXXX,
# removed on exit (see cleanup), with the directories every script uses in it.
make_bench() {
	mkdir -p "$workdir_parent"
	BENCH=$(mktemp -d "$workdir_parent/$1.XXXXXX")
	# mktemp makes it 0700; apt's unprivileged _apt user must be able to reach the
	# chroots and containers below it, or apt falls back to downloading as root.
	chmod 0755 "$BENCH"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	TPL=$BENCH/template
	PKG_CACHE=$BENCH/pkg-cache
	STAGE_CACHE=$BENCH/stages
	METADATA_CACHE=$BENCH/metadata-cache
	VZ_TMP=$BENCH/tmp
	LOCK_DIR=$BENCH/lock
	LOG_DIR=$BENCH/log
	RUNLOG=$BENCH/runs        # each run's output and time output
	CONF=$BENCH/vzpkg.conf
	mkdir -p "$TPL" "$PKG_CACHE" "$METADATA_CACHE" "$VZ_TMP" "$LOCK_DIR" "$LOG_DIR" "$RUNLOG"
}

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
# would not forward it: vzpkg, or a small bash wrapper that passes it on to
# what it runs), give it time to clean up its own mounts, then SIGKILL.
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

# On exit: stop the running step, then the script's own cleanup_more if it has
# one (servers, agents), unmount what is left under the bench directory and
# remove it (unless --keep).
cleanup() {
	local rc=$? m left
	trap - EXIT
	trap '' INT TERM   # a second Ctrl-C must not leave mounts and files behind
	stop_running
	if declare -F cleanup_more >/dev/null; then cleanup_more; fi
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

# write_vzpkg_conf [LINE...]: $CONF, keeping everything in the bench directory,
# then the LINEs, then the mirrors as url.map-style lines, for anything else in
# the template area that names them.
write_vzpkg_conf() {
	local v
	{
		printf '# vzpkg configuration written by bench/%s; everything stays in %s\n' "$PROG" "$BENCH"
		printf '%s\n' "TEMPLATE=$TPL" "PKG_CACHE=$PKG_CACHE" "METADATA_CACHE=$METADATA_CACHE" \
			"TMP_DIR=$VZ_TMP" "LOCK_DIR=$LOCK_DIR" "LOG_DIR=$LOG_DIR" "STAGE_CACHE=$STAGE_CACHE" "$@"
		for v in DEBIAN_MIRROR DEBIAN_SECURITY_MIRROR; do
			if [[ -n ${mirror_var[$v]:-} ]]; then printf '$%s %s\n' "$v" "${mirror_var[$v]}"; fi
		done
	} >"$CONF"
}

wipe_dir() { rm -rf --one-file-system "$1"; mkdir -p "$1"; }

vzpkg_cache_file() {
	local f
	for f in "$TPL/cache/$OST".tar*; do
		[[ -f $f ]] && { printf '%s\n' "$f"; return 0; }
	done
	return 1
}

# ------------------------------------------------------------------ running
# run_step LABEL CMD...: runs CMD under /usr/bin/time -f '%e %M' (into
# runs/LABEL.time), in the background and waited for, so that Ctrl-C runs the
# trap at once (bash defers traps while a foreground command runs, and ignores
# SIGINT altogether when that command exits normally, as /usr/bin/time does).
# Stdin is /dev/null; stdout goes to runs/LABEL.out and stderr to
# runs/LABEL.log, or both to runs/LABEL.log with merged_logs=1. Sets step_rc,
# step_wall (s) and step_rss (KiB); never exits. run_desc, when set, says what
# runs in the messages instead of the command line.
merged_logs=0
run_desc=""
run_step() {
	local label=$1 tf=$RUNLOG/$1.time
	shift
	step_rc=0 step_wall="" step_rss=""
	running="$label: ${run_desc:-$*}"
	if ((merged_logs)); then
		/usr/bin/time -f '%e %M' -o "$tf" "$@" </dev/null >"$RUNLOG/$label.log" 2>&1 &
	else
		/usr/bin/time -f '%e %M' -o "$tf" "$@" </dev/null >"$RUNLOG/$label.out" 2>"$RUNLOG/$label.log" &
	fi
	running_pid=$!
	wait "$running_pid" || step_rc=$?
	running="" running_pid=""
	read -r step_wall step_rss < <(tail -n 1 "$tf") || true
}

step_failed() {   # LABEL WHAT
	note "$1 failed (exit $step_rc): $2"
	if ((merged_logs)); then
		note "---- last lines of $RUNLOG/$1.log (rerun with --keep to keep the logs):"
	else
		note "---- last lines of $RUNLOG/$1.{out,log} (rerun with --keep to keep the logs):"
		tail -n 10 "$RUNLOG/$1.out" >&2 || true
	fi
	tail -n 30 "$RUNLOG/$1.log" >&2 || true
	exit 1
}

# must_run LABEL CMD...: an untimed step that must succeed.
must_run() {
	local label=$1
	shift
	run_step "$label" "$@"
	((step_rc == 0)) || step_failed "$label" "${run_desc:-$*}"
}

# Wall time and peak RSS of the last step, per kind of run: one value per run.
declare -A walls=() rsss=()
record_step() {   # KIND
	walls[$1]+="$step_wall "
	rsss[$1]+="$step_rss "
}

# run_timed KIND LABEL CMD...: a measured run, that must succeed; sync first,
# so that the previous run's writeback does not land in this one.
run_timed() {
	local kind=$1 label=$2
	shift 2
	sync
	run_step "$label" "$@"
	((step_rc == 0)) || step_failed "$label" "${run_desc:-$*}"
	record_step "$kind"
}

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
median_or_q() {   # "v1 v2 ..." (some may be '?') -> median of the numbers, or '?'
	local v=${1//\?/}
	if [[ $v =~ [0-9] ]]; then med_of "$v"; else echo '?'; fi
}
max_of() { tr ' ' '\n' <<<"$1" | awk 'NF && $1 > m { m = $1 } END { print m + 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }
met() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t) ? "yes" : "no" }'; }
mib() { awk -v b="$1" -v d="$2" 'BEGIN { printf "%.1f", b / d }'; }   # VALUE DIVISOR

# For each of kinds: med, lo, hi (median, min, max wall seconds) and rss_med
# (median peak RSS, KiB).
declare -A med=() lo=() hi=() rss_med=()
summarize() {
	local k
	for k in "${kinds[@]}"; do
		read -r "med[$k]" "lo[$k]" "hi[$k]" < <(stats "${walls[$k]}")
		read -r "rss_med[$k]" _ _ < <(stats "${rsss[$k]}")
	done
}

# The ratio table: ratio_header, then ratio_row NAME VALUE TARGET ("-": none).
ratio_header() { printf '\n%-24s %7s %8s %4s\n' ratio_of_medians value target met; }
ratio_row() {
	if [[ $3 == - ]]; then
		printf '%-24s %7s %8s %4s\n' "$1" "$2" - -
	else
		printf '%-24s %7s %8s %4s\n' "$1" "$2" "<= $3" "$(met "$2" "$3")"
	fi
}

# ------------------------------------------------------------------ JSON
json_str() {
	local s=$1
	s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/ }; s=${s//$'\n'/\\n}
	printf '"%s"' "$s"
}
json_strs() {   # STRING... -> "a", "b", ...
	local s sep=""
	for s; do printf '%s%s' "$sep" "$(json_str "$s")"; sep=", "; done
}
# "v1 v2 ..." -> v1, v2, ... (null for what is not a number)
json_list() { tr ' ' '\n' <<<"$1" | awk 'NF { print ($0 ~ /^[0-9.]+$/) ? $0 : "null" }' | paste -sd, | sed 's/,/, /g'; }
json_met() { if [[ $(met "$1" "$2") == yes ]]; then echo true; else echo false; fi; }   # VALUE TARGET
json_ratio() {   # NAME VALUE TARGET ("-": none)
	if [[ $3 == - ]]; then
		printf '%s: {"value": %s, "target_max": null, "met": null}' "$(json_str "$1")" "$2"
	else
		printf '%s: {"value": %s, "target_max": %s, "met": %s}' "$(json_str "$1")" "$2" "$3" "$(json_met "$2" "$3")"
	fi
}
json_mirrors() {
	printf '  "mirror": %s,\n' "$(json_str "${mirror_var[DEBIAN_MIRROR]:-}")"
	printf '  "security_mirror": %s,\n' "$(json_str "${mirror_var[DEBIAN_SECURITY_MIRROR]:-}")"
}
# A kind's raw and summarized times: json_runs gives "wall_s" and
# "peak_rss_kib", json_medians the medians (wall min and max too).
json_runs() {   # KIND
	printf '"wall_s": [%s], "peak_rss_kib": [%s]' "$(json_list "${walls[$1]}")" "$(json_list "${rsss[$1]}")"
}
json_medians() {   # KIND
	printf '"median_wall_s": %s, "min_wall_s": %s, "max_wall_s": %s, "median_peak_rss_mib": %s' \
		"${med[$1]}" "${lo[$1]}" "${hi[$1]}" "$(mib "${rss_med[$1]}" 1024)"
}
