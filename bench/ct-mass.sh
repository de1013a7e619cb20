#!/usr/bin/env bash
# Benchmark: many identical containers, handled by vzpkg all at once, against
# the loop a user would otherwise run over them, one container after the other:
#   (a) update:  vzpkg update --all
#                vs  apt-get update && apt-get -y upgrade       in each container
#   (b) install: vzpkg install --all web  (application template: nginx-light)
#                vs  apt-get update && apt-get -y install nginx-light  in each container
# The apt-get commands run inside the containers with `vzpkg exec --net CTID`.
#
# With --running the containers run while both sides work on them: each is
# started with lxc-start (its own systemd, LXC path in the bench directory,
# no network device of its own) before every timed run, vzpkg updates them
# where they run (attached to their init), and the loop is the one an admin
# would run, `lxc-attach NAME -- sh -c 'apt-get update && apt-get -y upgrade'`
# (attached to every namespace but the network, so apt-get reaches the
# mirror through the host's). The template is then debian-12-x86_64, whose
# default set boots (the minimal one has no init).
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
# Usage: bench/ct-mass.sh [-c N] [-n N] [--running] [--vzpkg PATH] [--templates DIR]
#                         [--workdir DIR] [--keep] [--json]
set -euo pipefail
export LC_ALL=C   # '.' as decimal point in printf/awk, plain sort order

OST=debian-12-x86_64-minimal               # the containers' OS template (--running: debian-12-x86_64)
readonly OST_DIR=debian/12/x86_64          # its place in the template area
OST_SET=minimal
readonly SUITE=bookworm                    # the stable suite the containers are created from
readonly APP=web                           # the application template the bench writes
readonly APP_PKGS=(nginx-light lighttpd)   # its package: the first one the stable suite has
readonly TARGET_UPDATE=0.1                 # vzpkg update --all / apt-get loop, at most
readonly EXIT_STALE=22                     # vzpkg status: not up to date
readonly FIRST_CTID=101
readonly PARALLEL_CONTAINERS=2
readonly DL_NOTE="vzpkg: files that appeared in its package cache (pkg) and metadata cache (idx: InRelease and index files, not the .solv/.verified files it derives) during the run; apt-get loop: idx is the sum of apt-get update's 'Fetched' lines (apt's 1000-based units, 3 digits), pkg the .deb files left in each container's /var/cache/apt/archives"

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
n_cts=20
reps=1
templates=$REPO_ROOT/templates
value_option -c n_cts "a number"
value_option --templates templates "a directory"
running_mode=0
flag_option --running running_mode

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
  --running        the containers run (lxc-start, their own systemd) during both sides' work;
                   the loop uses lxc-attach, the template is debian-12-x86_64
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

parse_options "$@"
if ! [[ $n_cts =~ ^[1-9][0-9]*$ ]] || ((n_cts > 500)); then die "-c wants an integer from 1 to 500, got '$n_cts'"; fi
if ((running_mode)); then OST=debian-12-x86_64 OST_SET=default; fi
readonly OST OST_SET

# ---------------------------------------------------------------- preconditions
need_root "vzpkg needs it to create, enter and update containers"

[[ -x /usr/bin/time ]] || missing+=(time)
if ((running_mode)); then command -v lxc-start >/dev/null || missing+=(lxc); fi
command -v xz >/dev/null || missing+=(xz-utils)
exit_if_missing

check_vzpkg
for c in "create ct" "update" "install" "exec"; do
	# shellcheck disable=SC2086  # "create ct" is two words
	"$vzpkg_bin" $c --help >/dev/null 2>&1 || die "$vzpkg_bin has no '$c' command; rebuild it from a newer tree"
done
check_templates

# ------------------------------------------------------------------ mirrors
# The template's repository lines, without vzpkg's "[priority=N]": for the
# output, the sanity checks and the containers' apt sources.
read_repositories strip
((${#full_sources[@]} > ${#stable_sources[@]})) ||
	die "${repo_files[*]}: only suite $SUITE; the template needs more repositories (e.g. $SUITE-updates, $SUITE-security) for containers made from $SUITE alone to be stale"

# --------------------------------------------------------------- bench area
make_bench vzpkg-bench
LXC_PATH=""                  # --running: the containers' LXC path
if ((running_mode)); then LXC_PATH=$BENCH/lxc; mkdir -p "$LXC_PATH"; fi
export LXC_PATH
VZ=$BENCH/bin/vzpkg         # a copy: the build tree's binary may be rebuilt meanwhile
CONF_DIR=$BENCH/conf         # the containers' configs (CTID.conf)
PRIVATE=$BENCH/private       # their private areas (VE_PRIVATE)
BASELINE=$BENCH/baseline     # the fresh containers, copied before every timed run
SNAPSHOT=$BENCH/cache-snapshot # vzpkg's caches as creating the containers left them
REPOS=$BENCH/repositories    # the stale and the full versions of each repositories file
mkdir -p "$BENCH/bin" "$REPOS" "$BASELINE" "$SNAPSHOT"
cp "$vzpkg_bin" "$VZ"

cp -a "$templates/." "$TPL/"
# Each repositories file with the URLs written in, in two versions: "full",
# every line; "stale", only the lines for suite $SUITE.
save_repositories
write_vzpkg_conf METADATA_EXPIRE=0 "CONF_DIR=$CONF_DIR" "VE_PRIVATE=$PRIVATE/\$VEID" \
	"PARALLEL_CONTAINERS=$PARALLEL_CONTAINERS"

ctids=()
for ((i = 0; i < n_cts; i++)); do ctids+=("$((FIRST_CTID + i))"); done

# ------------------------------------------------------------------ helpers
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
	if ((running_mode)); then stop_containers; fi
	rm -rf --one-file-system "$CONF_DIR" "$PRIVATE" "$PKG_CACHE" "$METADATA_CACHE"
	cp -a "$BASELINE/conf" "$CONF_DIR"
	cp -a "$BASELINE/private" "$PRIVATE"
	cp -a "$SNAPSHOT/pkg-cache" "$PKG_CACHE"
	cp -a "$SNAPSHOT/metadata-cache" "$METADATA_CACHE"
	wipe_dir "$VZ_TMP"
	rm -f "$LOG_DIR"/ct-*.log
	if ((running_mode)); then start_containers; fi
	sync   # don't let the copy's writeback land in the timed run
}

# --running: the containers under LXC, from their private areas, in an LXC
# path of the bench directory.
lxc_name() { echo "vzbench-$1"; }
start_containers() {
	local id name state i
	for id in "${ctids[@]}"; do
		name=$(lxc_name "$id")
		mkdir -p "$LXC_PATH/$name"
		cat >"$LXC_PATH/$name/config" <<-EOF
			lxc.uts.name = ct$id
			lxc.rootfs.path = dir:$PRIVATE/$id
			lxc.init.cmd = /sbin/init
			lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
			lxc.net.0.type = empty
			lxc.apparmor.profile = unconfined
			lxc.cap.drop = sys_module mac_admin mac_override sys_time sys_rawio
			lxc.signal.halt = SIGRTMIN+3
			lxc.tty.max = 1
			lxc.pty.max = 16
			lxc.log.file = $LXC_PATH/$name.log
			lxc.log.level = WARN
		EOF
		lxc-start -P "$LXC_PATH" -n "$name" -d || die "lxc-start of container $id failed (log: $LXC_PATH/$name.log)"
	done
	for id in "${ctids[@]}"; do
		name=$(lxc_name "$id")
		for ((i = 0; i < 180; i++)); do
			state=$(timeout 10 lxc-attach -P "$LXC_PATH" -n "$name" -- systemctl is-system-running 2>/dev/null) || true
			[[ $state == running || $state == degraded ]] && break
			sleep 1
		done
		[[ $state == running || $state == degraded ]] || die "container $id did not boot within 180 s (state '$state')"
	done
}
stop_containers() {
	local id name
	[[ -d ${LXC_PATH:-} ]] || return 0
	for id in "${ctids[@]}"; do
		name=$(lxc_name "$id")
		[[ -d $LXC_PATH/$name ]] || continue
		lxc-stop -P "$LXC_PATH" -n "$name" -k >/dev/null 2>&1 || true
	done
}
cleanup_more() { stop_containers; }

loop_prefix() {
	if ((running_mode)); then echo "lxc-attach -n CT -s 'MOUNT|PID|UTS|IPC'"; else echo "vzpkg exec --net CTID"; fi
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
		if [ -n "$LXC_PATH" ]; then
			lxc-attach -P "$LXC_PATH" -n "vzbench-$id" -s "MOUNT|PID|UTS|IPC" --clear-env \
				-v PATH=/usr/sbin:/usr/bin:/sbin:/bin -v LC_ALL=C -- sh -c "$cmd" </dev/null >"$out/ct-$id.log" 2>&1 &
		else
			"$vz" -c "$conf" exec --net "$id" -- sh -c "$cmd" </dev/null >"$out/ct-$id.log" 2>&1 &
		fi
		child=$!
		rc=0
		wait "$child" || rc=$?
		child=""
		echo "$rc" >"$out/ct-$id.rc"
	done'

# ------------------------------------------------------------------ results store
# Kinds: vz-update apt-update vz-install apt-install. Per kind, one value per repetition.
kinds=(vz-update apt-update vz-install apt-install)
declare -A dl=() idx=() pkgb=() pkgf=() failed=() changed=() mism=()
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
	record_step "$kind"
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
	run_desc="for each of ${ctids[*]}: $(loop_prefix) -- sh -c '$cmd'"
	run_step "$label" bash -c "$APT_LOOP" apt-loop "$VZ" "$CONF" "$out" "$cmd" "${ctids[@]}"
	run_desc=""
	((step_rc == 0)) || note "  WARNING: the loop itself exited $step_rc"
	record_step "$kind"
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

# ------------------------------------------------------------------ setup
vzpkg_version=$("$VZ" --version 2>/dev/null | head -n 1) || true

note "bench directory: $BENCH"
note "vzpkg:           $vzpkg_bin (copied to $VZ; ${vzpkg_version:-version unknown})"
note_mirrors
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
summarize
task_of() { case $1 in *update) echo update ;; *) echo install ;; esac; }
tool_of() { case $1 in vz-*) echo vzpkg ;; *) echo apt-loop ;; esac; }
cmd_of() {
	case $1 in
	vz-update) echo "vzpkg update --all" ;;
	vz-install) echo "vzpkg install --all $APP" ;;
	apt-update) echo "for each CTID: $(loop_prefix) -- sh -c '$UPDATE_CMD'" ;;
	apt-install) echo "for each CTID: $(loop_prefix) -- sh -c '$INSTALL_CMD'" ;;
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
		printf '  "running": %s,\n' "$( ((running_mode)) && echo true || echo false)"
		printf '  "parallel_containers": %d,\n' "$PARALLEL_CONTAINERS"
		printf '  "repetitions": %d,\n' "$reps"
		printf '  "order": %s,\n' "$(json_str "interleaved: ${kinds[*]}")"
		json_mirrors
		printf '  "stale_sources": [%s],\n' "$(json_strs "${stable_sources[@]}")"
		printf '  "full_sources": [%s],\n' "$(json_strs "${full_sources[@]}")"
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
			printf '%s, ' "$(json_runs "$k")"
			printf '"downloaded_bytes": [%s], ' "$(json_list "${dl[$k]}")"
			printf '"index_bytes": [%s], ' "$(json_list "${idx[$k]}")"
			printf '"package_bytes": [%s], ' "$(json_list "${pkgb[$k]}")"
			printf '"package_files": [%s], ' "$(json_list "${pkgf[$k]}")"
			printf '"distinct_new_packages": [%s], ' "$(json_list "${changed[$k]}")"
			printf '"failed_containers": [%s], ' "$(json_list "${failed[$k]}")"
			printf '%s}' "$(json_medians "$k")"
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
		printf '    %s,\n' "$(json_ratio "update vzpkg/apt-loop" "$r_update" "$TARGET_UPDATE")"
		printf '    %s,\n' "$(json_ratio "install vzpkg/apt-loop" "$r_install" -)"
		printf '    "update downloads vzpkg/apt-loop": {"value": %s},\n' "$r_dl_update"
		printf '    "install downloads vzpkg/apt-loop": {"value": %s},\n' "$r_dl_install"
		printf '    "update each package once": {"package_files": %s, "distinct_new_packages": %s, "met": %s},\n' \
			"$once_update_f" "$once_update_c" "$([[ $once_update == yes ]] && echo true || echo false)"
		printf '    "install each package once": {"package_files": %s, "distinct_new_packages": %s, "met": %s}\n' \
			"$once_install_f" "$once_install_c" "$([[ $once_install == yes ]] && echo true || echo false)"
		printf '  }\n}\n'
	}
else
	printf '\nvzpkg on %d %scontainers vs a per-container apt-get loop, %s, %d repetition(s), interleaved\n' "$n_cts" \
		"$( ((running_mode)) && echo 'running (LXC) ')" "$OST" "$reps"
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
