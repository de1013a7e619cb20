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
readonly TARGET_COLD=0.4                   # vzpkg-cold / mmdebstrap, at most
readonly TARGET_WARM=0.25                  # vzpkg-warm / mmdebstrap, at most

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
templates=$REPO_ROOT/templates
only=cold,warm,mmdebstrap
value_option --templates templates "a directory"
value_option --only only "a list"

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

parse_options "$@"
select_kinds "$only" cold warm mmdebstrap   # the interleaving order

# ---------------------------------------------------------------- preconditions
need_root "vzpkg and mmdebstrap need it to build a root filesystem"

want mmdebstrap && ! command -v mmdebstrap >/dev/null && missing+=(mmdebstrap)
command -v zstd >/dev/null || missing+=(zstd)
[[ -x /usr/bin/time ]] || missing+=(time)
exit_if_missing

if want_vzpkg; then check_vzpkg; fi
check_templates

# ------------------------------------------------------------------ mirrors
# The template's repositories with the host's mirrors; mmdebstrap gets each
# repository once, without vzpkg's "[priority=N]".
read_repositories strip
sources=()        # "URL suite component..." lines, in order, unique
declare -A seen=()
for s in "${full_sources[@]}"; do
	[[ -n ${seen[$s]:-} ]] && continue
	seen[$s]=1
	sources+=("$s")
done

# --------------------------------------------------------------- bench area
make_bench vzpkg-bench
OUT=$BENCH/out            # mmdebstrap outputs
mkdir -p "$OUT"
merged_logs=1             # runs/LABEL.log: each run's stdout and stderr

if want_vzpkg; then
	cp -a "$templates/." "$TPL/"
	# The copied template gets the expanded URLs written in, so vzpkg cannot
	# pick another mirror than mmdebstrap, whatever its own url map says.
	for set in "${repo_sets[@]}"; do
		repositories_of "$set" full >"$TPL/$OST_DIR/config/os/$set/repositories"
	done
	# shellcheck disable=SC2119  # nothing to add to vzpkg.conf
	write_vzpkg_conf
fi

# ------------------------------------------------------------------ running
declare -A out_bytes=() pkgs=()

# Number of packages in a root filesystem tarball (from var/lib/dpkg/status);
# the sorted names go to LISTFILE, for comparing what the tools installed (--keep).
count_packages() {   # TARBALL LISTFILE
	zstd -dcq "$1" 2>/dev/null |
		tar -xOf - --wildcards '*var/lib/dpkg/status' 2>/dev/null |
		awk '/^Package:/ { print $2 }' | sort >"$2" || true
	if [[ -s $2 ]]; then wc -l <"$2"; else echo '?'; fi
}

# measure KIND LABEL CMD...: a timed run, and its line on stderr.
measure() {
	run_timed "$@"
	note "$(printf '  %-16s %8.2f s %8.1f MiB' "$2" "$step_wall" "$(mib "$step_rss" 1024)")"
}

run_vzpkg() {   # KIND REP
	local kind=$1 rep=$2 f
	rm -rf --one-file-system "$TPL/cache"
	mkdir -p "$TPL/cache"
	wipe_dir "$VZ_TMP"
	if [[ $kind == cold ]]; then
		wipe_dir "$PKG_CACHE"
		wipe_dir "$METADATA_CACHE"
		wipe_dir "$STAGE_CACHE"
	fi
	measure "$kind" "vzpkg-$kind-$rep" "$vzpkg_bin" -c "$CONF" create cache -f "$OST"
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
	measure mmdebstrap "mmdebstrap-$rep" env TMPDIR="$VZ_TMP" mmdebstrap "${args[@]}"
	out_bytes[mmdebstrap]=$(stat -c %s "$target")
	pkgs[mmdebstrap]=$(count_packages "$target" "$RUNLOG/mmdebstrap-$rep.packages")
	rm -f "$target"
}

mmdebstrap_version=$(mmdebstrap --version 2>/dev/null | awk '{ print $2; exit }') || true
vzpkg_version=""
want_vzpkg && { vzpkg_version=$("$vzpkg_bin" --version 2>/dev/null | head -n 1) || true; }

note "bench directory: $BENCH"
note_mirrors
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
summarize
name_of() { case $1 in cold) echo vzpkg-cold ;; warm) echo vzpkg-warm ;; *) echo "$1" ;; esac; }

ratios=()   # "kind value target"
if want mmdebstrap; then
	want cold && ratios+=("cold $(ratio "${med[cold]}" "${med[mmdebstrap]}") $TARGET_COLD")
	want warm && ratios+=("warm $(ratio "${med[warm]}" "${med[mmdebstrap]}") $TARGET_WARM")
fi

if ((json)); then
	{
		printf '{\n'
		printf '  "template": %s,\n' "$(json_str "$OST")"
		printf '  "repetitions": %d,\n' "$reps"
		printf '  "order": %s,\n' "$(json_str "interleaved: ${kinds[*]}")"
		json_mirrors
		printf '  "sources": [%s],\n' "$(json_strs "${sources[@]/#/deb }")"
		printf '  "vzpkg": %s,\n' "$(json_str "${vzpkg_version:-}")"
		printf '  "mmdebstrap": %s,\n' "$(json_str "mmdebstrap ${mmdebstrap_version:-?} --variant=minbase, output DIR.tar.zst (zstd defaults)")"
		printf '  "rss_note": %s,\n' "$(json_str "$RSS_NOTE")"
		printf '  "results": {\n'
		sep=""
		for k in "${kinds[@]}"; do
			printf '%s    %s: {' "$sep" "$(json_str "$(name_of "$k")")"
			printf '%s, %s, ' "$(json_runs "$k")" "$(json_medians "$k")"
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
			printf '%s\n    %s' "$sep" "$(json_ratio "vzpkg-$k/mmdebstrap" "$v" "$t")"
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
		ratio_header
		for r in "${ratios[@]}"; do
			read -r k v t <<<"$r"
			ratio_row "vzpkg-$k/mmdebstrap" "$v" "$t"
		done
	fi
	printf '\nnote: %s.\n' "$RSS_NOTE"
fi
