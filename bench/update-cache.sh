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
readonly TARGET_UPDATE=0.2                 # update-cache / rebuild, at most (issue 13)
readonly EXIT_STALE=22                     # vzpkg status: the cache is not current
readonly CACHE_NOTE="both timed runs start from the same stale cache, with the same warm package and metadata caches (METADATA_EXPIRE=0: each run revalidates InRelease with conditional requests)"

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
templates=$REPO_ROOT/templates
value_option --templates templates "a directory"

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

parse_options "$@"

# ---------------------------------------------------------------- preconditions
need_root "vzpkg needs it to build and update a root filesystem"

command -v zstd >/dev/null || missing+=(zstd)
[[ -x /usr/bin/time ]] || missing+=(time)
exit_if_missing

check_vzpkg
"$vzpkg_bin" update cache --help >/dev/null 2>&1 ||
	die "$vzpkg_bin has no 'update cache' command; rebuild it from a newer tree"
check_templates

# ------------------------------------------------------------------ mirrors
read_repositories keep
((${#full_sources[@]} > ${#stable_sources[@]})) ||
	die "${repo_files[*]}: only suite $SUITE; the template needs more repositories (e.g. $SUITE-updates, $SUITE-security) for a cache built from $SUITE alone to be stale"

# --------------------------------------------------------------- bench area
make_bench vzpkg-bench
REPOS=$BENCH/repositories # the stale and the full versions of each repositories file
mkdir -p "$REPOS"

cp -a "$templates/." "$TPL/"
save_repositories
write_vzpkg_conf METADATA_EXPIRE=0

# ------------------------------------------------------------------ running
declare -A out_bytes=() pkgs=() dl=()
changes=()   # per repetition: "total updates new removed", from vzpkg status
mismatches=0

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
	record_step "$kind"
	f=$(vzpkg_cache_file) || die "$label succeeded but wrote no $TPL/cache/$OST.tar*"
	out_bytes[$kind]=$(stat -c %s "$f")
	# "OST: PATH (S MiB, N packages, built in T s, D MiB downloaded)"
	d=$(sed -n 's/.*, \([0-9.]*\) MiB downloaded).*/\1/p' "$RUNLOG/$label.out" | tail -n 1)
	dl[$kind]+="${d:-?} "
	note "$(printf '  %-18s %8.2f s %8.1f MiB   (%s MiB downloaded)' "$label" "$step_wall" \
		"$(mib "$step_rss" 1024)" "${d:-?}")"
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
note_mirrors
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
kinds=(update rebuild)
summarize
name_of() { case $1 in update) echo update-cache ;; *) echo "$1" ;; esac; }
cmd_of() { case $1 in update) echo "vzpkg update cache $OST" ;; *) echo "vzpkg create cache -f $OST" ;; esac; }
r_value=$(ratio "${med[update]}" "${med[rebuild]}")
changed_list=""
for c in "${changes[@]}"; do changed_list+="${c%% *} "; done
read -r last_total last_up last_new last_rm <<<"${changes[-1]}"

if ((json)); then
	{
		printf '{\n'
		printf '  "template": %s,\n' "$(json_str "$OST")"
		printf '  "repetitions": %d,\n' "$reps"
		printf '  "order": %s,\n' "$(json_str "interleaved: update-cache, rebuild")"
		json_mirrors
		printf '  "stale_sources": [%s],\n' "$(json_strs "${stable_sources[@]}")"
		printf '  "full_sources": [%s],\n' "$(json_strs "${full_sources[@]}")"
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
			printf '%s, ' "$(json_runs "$k")"
			printf '"downloaded_mib": [%s], ' "$(json_list "${dl[$k]}")"
			printf '%s, ' "$(json_medians "$k")"
			printf '"output_bytes": %s, ' "${out_bytes[$k]:-null}"
			printf '"packages": %s}' "${pkgs[$k]:-null}"
			sep=$',\n'
		done
		printf '\n  },\n'
		printf '  "ratios": {\n'
		printf '    %s\n' "$(json_ratio update-cache/rebuild "$r_value" "$TARGET_UPDATE")"
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
	ratio_header
	ratio_row update-cache/rebuild "$r_value" "$TARGET_UPDATE"
	printf '\nnote: %s.\n' "$RSS_NOTE"
fi
