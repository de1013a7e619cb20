#!/usr/bin/env bash
# Benchmark: make a container from a template cache with
#   - vzpkg create ct   (config, private area unpacked from the cache),
#   - vzpkg create ct --lxc --layout overlay (an LXC container over the
#     cache's shared tree, made once before the timed runs; see
#     docs/internals/containers.md, "Shared trees"), against
#   - tar -x of the same cache into an empty directory,
# and take it away again with
#   - vzpkg destroy ct (of each), against
#   - rm -rf of the unpacked directory,
# N times each, interleaved. The cache is built once, untimed, from the real
# mirror named by the host's apt sources. Everything (template area, caches,
# containers, temp, locks, logs) lives in one bench directory that is removed
# on exit; /vz and /etc/vz are never touched.
#
# Usage: bench/create-ct.sh [-n N] [--vzpkg PATH] [--templates DIR]
#                           [--workdir DIR] [--keep] [--json]
set -euo pipefail
export LC_ALL=C   # '.' as decimal point in printf/awk, plain sort order

readonly OST=debian-12-x86_64-minimal      # the template whose cache containers are made from
readonly OST_DIR=debian/12/x86_64          # its place in the template area
readonly OST_SET=minimal
readonly SUITE=bookworm
readonly TARGET_CREATE=0.1                 # vzpkg create ct / tar -x, at most (issue: containers in a blink)

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
templates=$REPO_ROOT/templates
value_option --templates templates "a directory"
reps=5

usage() {
	cat <<EOF
Usage: $0 [options]

Times 'vzpkg create ct' of a container from the $OST cache, and of an LXC
container with the overlay layout, against 'tar -x' of the same cache, and
'vzpkg destroy ct' of each against 'rm -rf'.

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
need_root "vzpkg needs it to build a cache and make containers"
command -v zstd >/dev/null || missing+=(zstd)
[[ -x /usr/bin/time ]] || missing+=(time)
exit_if_missing
check_vzpkg
check_templates
read_repositories keep

make_bench vzpkg-bench
CONF_DIR=$BENCH/conf
PRIVATE=$BENCH/private
UNPACKED=$BENCH/unpacked
LXCP=$BENCH/lxc
mkdir -p "$CONF_DIR" "$PRIVATE" "$LXCP"
cp -a "$templates/." "$TPL/"
write_vzpkg_conf "CONF_DIR=$CONF_DIR" "VE_PRIVATE=$PRIVATE/\$VEID" "VE_PRIVATE_PREFIXES=$PRIVATE" "LXC_PATH=$LXCP"

vzpkg_version=$("$vzpkg_bin" --version 2>/dev/null | head -n 1) || true
note "bench directory: $BENCH"
note_mirrors
must_run "create-cache" "$vzpkg_bin" -c "$CONF" create cache "$OST"
cache=$(vzpkg_cache_file) || die "create cache succeeded but wrote no $TPL/cache/$OST.tar*"
case $cache in
*.zst) tar_x=(tar --zstd -xpf "$cache" -C "$UNPACKED") ;;
*.gz) tar_x=(tar -xzpf "$cache" -C "$UNPACKED") ;;
*.xz) tar_x=(tar -xJpf "$cache" -C "$UNPACKED") ;;
*) tar_x=(tar -xpf "$cache" -C "$UNPACKED") ;;
esac
note "cache: $cache ($(mib "$(stat -c %s "$cache")" 1048576) MiB)"
# The shared tree is made once per cache, by the first overlay container:
# timed here once, apart from the repetitions.
run_timed tree "first-overlay-ct" "$vzpkg_bin" -c "$CONF" create ct --lxc ovl-0 --ostemplate "$OST" --layout overlay
tree_first=$step_wall
note "$(printf '  %-16s %8.2f s (makes the shared tree)' first-overlay-ct "$tree_first")"
must_run "destroy-ovl-0" "$vzpkg_bin" -c "$CONF" destroy ct ovl-0

for ((rep = 1; rep <= reps; rep++)); do
	note "repetition $rep/$reps"
	id=$((1000 + rep))
	run_timed create "create-ct-$rep" "$vzpkg_bin" -c "$CONF" create ct "$id" --ostemplate "$OST"
	note "$(printf '  %-16s %8.2f s' "create-ct-$rep" "$step_wall")"
	run_timed destroy "destroy-ct-$rep" "$vzpkg_bin" -c "$CONF" destroy ct "$id"
	note "$(printf '  %-16s %8.2f s' "destroy-ct-$rep" "$step_wall")"
	run_timed ovl "create-ovl-$rep" "$vzpkg_bin" -c "$CONF" create ct --lxc "ovl-$rep" --ostemplate "$OST" --layout overlay
	note "$(printf '  %-16s %8.2f s' "create-ovl-$rep" "$step_wall")"
	grep -q '^lxc.rootfs.path = overlay:' "$LXCP/ovl-$rep/config" || die "create ct --layout overlay made no overlay container (no overlayfs here?)"
	run_timed ovldestroy "destroy-ovl-$rep" "$vzpkg_bin" -c "$CONF" destroy ct "ovl-$rep"
	note "$(printf '  %-16s %8.2f s' "destroy-ovl-$rep" "$step_wall")"
	mkdir -p "$UNPACKED"
	run_timed tar "tar-x-$rep" "${tar_x[@]}"
	note "$(printf '  %-16s %8.2f s' "tar-x-$rep" "$step_wall")"
	run_timed rm "rm-rf-$rep" rm -rf --one-file-system "$UNPACKED"
	note "$(printf '  %-16s %8.2f s' "rm-rf-$rep" "$step_wall")"
done

kinds=(create ovl tar destroy ovldestroy rm)
summarize
name_of() {
	case $1 in
	create) echo vzpkg-create-ct ;; destroy) echo vzpkg-destroy-ct ;; tar) echo tar-x ;; rm) echo rm-rf ;;
	ovl) echo create-ct-overlay ;; ovldestroy) echo destroy-ct-overlay ;;
	esac
}
r_create=$(ratio "${med[create]}" "${med[tar]}")
r_ovl=$(ratio "${med[ovl]}" "${med[tar]}")
r_destroy=$(ratio "${med[destroy]}" "${med[rm]}")
r_ovldestroy=$(ratio "${med[ovldestroy]}" "${med[rm]}")

if ((json)); then
	{
		printf '{\n'
		printf '  "template": %s,\n' "$(json_str "$OST")"
		printf '  "repetitions": %d,\n' "$reps"
		printf '  "order": %s,\n' "$(json_str "interleaved: create ct, destroy ct, create ct overlay, destroy ct overlay, tar -x, rm -rf")"
		printf '  "first_overlay_ct_s": %s,\n' "$tree_first"
		printf '  "cache_bytes": %s,\n' "$(stat -c %s "$cache")"
		printf '  "vzpkg": %s,\n' "$(json_str "${vzpkg_version:-}")"
		printf '  "rss_note": %s,\n' "$(json_str "$RSS_NOTE")"
		printf '  "results": {\n'
		sep=""
		for k in "${kinds[@]}"; do
			printf '%s    %s: {%s, %s}' "$sep" "$(json_str "$(name_of "$k")")" "$(json_runs "$k")" "$(json_medians "$k")"
			sep=$',\n'
		done
		printf '\n  },\n'
		printf '  "ratios": {\n'
		printf '    %s,\n' "$(json_ratio "vzpkg-create-ct/tar-x" "$r_create" "$TARGET_CREATE")"
		printf '    %s,\n' "$(json_ratio "create-ct-overlay/tar-x" "$r_ovl" "$TARGET_CREATE")"
		printf '    %s,\n' "$(json_ratio "vzpkg-destroy-ct/rm-rf" "$r_destroy" -)"
		printf '    %s\n' "$(json_ratio "destroy-ct-overlay/rm-rf" "$r_ovldestroy" -)"
		printf '  }\n}\n'
	}
else
	printf '\nvzpkg create ct / destroy ct vs tar -x / rm -rf of %s, %d repetition(s), interleaved\n' "$OST" "$reps"
	printf 'vzpkg:      %s (%s)\n' "$vzpkg_bin" "${vzpkg_version:-version unknown}"
	printf 'cache:      %s MiB\n' "$(mib "$(stat -c %s "$cache")" 1048576)"
	printf '\n%-18s %9s %8s %8s %13s\n' tool median_s min_s max_s peak_RSS_MiB
	for k in "${kinds[@]}"; do
		printf '%-18s %9s %8s %8s %13s\n' "$(name_of "$k")" "${med[$k]}" "${lo[$k]}" "${hi[$k]}" "$(mib "${rss_med[$k]}" 1024)"
	done
	ratio_header
	ratio_row vzpkg-create-ct/tar-x "$r_create" "$TARGET_CREATE"
	ratio_row create-ct-overlay/tar-x "$r_ovl" "$TARGET_CREATE"
	ratio_row vzpkg-destroy-ct/rm-rf "$r_destroy" -
	ratio_row destroy-ct-overlay/rm-rf "$r_ovldestroy" -
	printf '\nfirst overlay container of the cache (makes the shared tree): %.2f s\n' "$tree_first"
	printf '\nnote: %s.\n' "$RSS_NOTE"
fi
