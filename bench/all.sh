#!/usr/bin/env bash
# bench/all.sh: every benchmark in one run, then one table of their ratios,
# targets and peak memory (bench/table.py). Each script's JSON and log are
# kept in the output directory, so the table can be printed again with
# `bench/table.py DIR`.
#
# Usage: bench/all.sh [-n N] [--only a,b,...] [--out DIR] [--vzpkg PATH]
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
all=(create-cache update-cache create-ct ct-mass ct-mass-running rpm-create-cache)
reps=3
only=""
out=""
vzpkg=()

usage() {
	cat <<EOF
Usage: $0 [options]

Runs the benchmarks one after the other (each with its own repetitions,
interleaved as it does), then prints one table.

  -n N          repetitions per benchmark (default $reps; ct-mass runs take minutes each)
  --only LIST   a comma-separated subset of: ${all[*]}
  --out DIR     where the JSON and logs go (default: a new bench-results.XXXXXX in the current directory)
  --vzpkg PATH  the vzpkg binary (default: build/vzpkg/vzpkg in the repo)
  -h, --help    this text

Must run as root, with the mirror of the host's apt sources reachable.
EOF
}

while (($#)); do
	case $1 in
	-n) reps=${2:?-n needs a number}; shift 2 ;;
	--only) only=${2:?--only needs a list}; shift 2 ;;
	--out) out=${2:?--out needs a directory}; shift 2 ;;
	--vzpkg) vzpkg=(--vzpkg "${2:?--vzpkg needs a path}"); shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "$0: -n wants a positive number" >&2; exit 2; }
if [[ -z $out ]]; then out=$(mktemp -d "$PWD/bench-results.XXXXXX"); fi
mkdir -p "$out"

run() {   # NAME SCRIPT ARGS...
	local name=$1 script=$2
	shift 2
	[[ -z $only || ",$only," == *",$name,"* ]] || return 0
	printf '%s: running (log: %s/%s.log)\n' "$name" "$out" "$name" >&2
	if "$here/$script" -n "$reps" "${vzpkg[@]}" --json "$@" >"$out/$name.json" 2>"$out/$name.log"; then
		printf '%s: done\n' "$name" >&2
	else
		printf '%s: FAILED (exit %d); last lines of its log:\n' "$name" $? >&2
		tail -n 15 "$out/$name.log" >&2
		rm -f "$out/$name.json"
	fi
}

run create-cache create-cache.sh
run update-cache update-cache.sh
run create-ct create-ct.sh
run ct-mass ct-mass.sh
run ct-mass-running ct-mass.sh --running
run rpm-create-cache rpm-create-cache.sh

printf '\nmachine: %s, %s CPUs, %s GiB RAM; %s\n\n' "$(uname -r)" "$(nproc)" \
	"$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)" "$(date -u '+%Y-%m-%d %H:%M UTC')"
python3 "$here/table.py" "$out"
