#!/bin/bash
# tests/fuzz/run.sh [SECONDS]: build every fuzz target (tests/fuzz/fuzz-*.c)
# with clang and libFuzzer (ASan + UBSan), then run each for SECONDS
# (default 10) from a copy of its seed corpus, so the corpus in the
# repository does not grow. Fails when a target crashes; the crashing
# input is kept in the build directory (crash-*), named in the output.
# The build directory is $VZPKG_FUZZ_BUILD, or build-fuzz at the top.
# Longer runs: tests/fuzz/run.sh 600 (ten minutes per target).
set -u
secs=${1:-10}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${VZPKG_FUZZ_BUILD:-$src/build-fuzz}

command -v clang >/dev/null || { echo "SKIP: clang not found (apt-get install clang)"; exit 77; }
cd "$src/tests/fuzz" || exit 1
targets=()
for f in fuzz-*.c; do
	[ -e "$f" ] && targets+=("${f%.c}")
done
[ ${#targets[@]} -gt 0 ] || { echo "SKIP: no fuzz targets"; exit 77; }

CC=clang cmake -S "$src" -B "$build" -DVZPKG_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 ||
	{ cat "$build.configure.log"; echo "FAIL: configure"; exit 1; }
cmake --build "$build" -j2 --target "${targets[@]}" >"$build.build.log" 2>&1 ||
	{ tail -40 "$build.build.log"; echo "FAIL: build"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vzpkg-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
for t in "${targets[@]}"; do
	mkdir -p "$work/$t"
	[ -d "corpus/$t" ] && cp -r "corpus/$t/." "$work/$t/"
	echo "== $t: ${secs}s"
	# -rss_limit_mb: the targets parse small texts; more is a leak or a bomb
	if ! (cd "$build" && LSAN_OPTIONS="suppressions=$src/tests/lsan.supp:print_suppressions=0" "./tests/fuzz/$t" -max_total_time="$secs" \
		-rss_limit_mb=2048 -timeout=20 -print_final_stats=1 -artifact_prefix="$build/$t-" \
		"$work/$t" >"$work/$t.log" 2>&1); then
		tail -60 "$work/$t.log"
		echo "FAIL: $t crashed; input: $(ls "$build/$t-"* 2>/dev/null | head -1)"
		status=1
	else
		grep -E "stat::number_of_executed_units|stat::new_units_added" "$work/$t.log" | tr '\n' ' '
		echo
	fi
done
[ $status = 0 ] && echo "PASS: ${#targets[@]} fuzz targets, ${secs}s each, no crash"
exit $status
