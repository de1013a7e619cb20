#!/bin/bash
# Containers of a Debian template: create ct makes three containers from the
# cache (vzctl configs, private areas, exec runs in them); install --all of
# an application template runs its hooks in the EZ places and records it in
# each config; after the repository publishes newer versions of two installed
# packages, status --all exits 22 naming them (text and --json), update -n
# changes nothing, update --all updates every container with each new .deb
# downloaded once, after which the containers are current and consistent;
# remove takes the app away again and destroy ct removes a container.
. "$(dirname "$0")/lib.sh"

setup_lc_env
setup_ct_env 2
CTS=(101 102 103)
SUFFIX=+vzt1
MARK=$TEST_TMP/host-marker # hooks that find the host's $TEST_TMP ran on the host

# --- create ct ------------------------------------------------------------------
create_cts "$OST" "${CTS[@]}"
ct_no_leftovers
for id in "${CTS[@]}"; do ct_check_deb "$id"; done

# create ct over an existing container: refused, nothing changed.
tree_manifest "$(ct_private 101)" "$TEST_TMP/tree.101.created"
cp "$(ct_conf 101)" "$TEST_TMP/conf.101.created"
run_vzpkg create ct 101 --ostemplate "$OST"
[ "$RC" != 0 ] || fail "create ct 101 over the existing container 101 succeeded"
grep -q '101' "$ERR" || fail "create ct 101 over container 101: the error does not name 101$(vzpkg_log)"
tree_manifest "$(ct_private 101)" "$TEST_TMP/tree.101.now"
cmp -s "$TEST_TMP/tree.101.created" "$TEST_TMP/tree.101.now" && cmp -s "$TEST_TMP/conf.101.created" "$(ct_conf 101)" ||
	fail "a refused create ct 101 changed container 101: $(diff_lines "$TEST_TMP/tree.101.created" "$TEST_TMP/tree.101.now")"

# --- exec -------------------------------------------------------------------------
echo "only in 101" >"$(ct_private 101)/etc/vzt-which-ct"
run_vzpkg exec 101 -- cat /etc/debian_version /etc/vzt-which-ct
[ "$RC" = 0 ] || fail "exec 101 -- cat /etc/debian_version exited $RC$(vzpkg_log)"
want="$(cat "$(ct_private 101)/etc/debian_version")
only in 101"
[ "$(cat "$OUT")" = "$want" ] || fail "exec 101 -- cat /etc/debian_version printed '$(cat "$OUT")', expected '$want'"
rm "$(ct_private 101)/etc/vzt-which-ct"
run_vzpkg exec 101 -- sh -c 'exit 7'
[ "$RC" = 7 ] || fail "exec 101 -- sh -c 'exit 7' exited $RC, expected 7$(vzpkg_log)"

# --- install an application template into every container ---------------------
APP_PKGS=()
for p in original-awk gawk libfile-find-rule-perl; do
	[ "${#APP_PKGS[@]}" -lt 2 ] || break
	[ -n "$(repo_field "$REPO" "$p" Filename)" ] && [ -z "$(deb_installed_version 101 "$p")" ] && APP_PKGS+=("$p")
done
[ "${#APP_PKGS[@]}" = 2 ] || fail "found no two of original-awk gawk libfile-find-rule-perl in the repository and not in the base"
make_app_template tools "${APP_PKGS[@]}"
# pre-install-hn runs on the host with $1 = the container's root, $2 = its ID.
add_app_hook pre-install-hn "echo \"\$2 \$1\" >>'$TEST_TMP/pre-install-hn.log'"
add_app_hook post-install "if [ -d '$TEST_TMP' ]; then mkdir -p '$MARK' && touch '$MARK/post-install'; exit 0; fi
dpkg-query -W -f='\${Version}\n' ${APP_PKGS[0]} >/etc/tools-post"
add_app_hook pre-remove "if [ -d '$TEST_TMP' ]; then mkdir -p '$MARK' && touch '$MARK/pre-remove'; exit 0; fi
dpkg-query -W -f='\${Version}\n' ${APP_PKGS[0]} >/etc/tools-pre-remove"
add_app_hook post-remove "if [ -d '$TEST_TMP' ]; then mkdir -p '$MARK' && touch '$MARK/post-remove'; exit 0; fi
{ dpkg-query -W -f='\${Status}\n' ${APP_PKGS[0]} 2>/dev/null || echo gone; } >/etc/tools-post-remove"
say "app template tools: ${APP_PKGS[*]}"

run_vzpkg install --all tools
[ "$RC" = 0 ] || fail "install --all tools exited $RC$(vzpkg_log)"
ct_no_leftovers
[ ! -e "$MARK" ] || fail "container hooks ran on the host: $(ls "$MARK")"
for id in "${CTS[@]}"; do
	root=$(ct_private "$id")
	ct_has_app "$id" tools || fail "container $id: TEMPLATES is '$(ct_conf_get "$id" TEMPLATES)', lacks .tools"
	[ "$(ct_conf_get "$id" OSTEMPLATE)" = ".$OST" ] || fail "container $id: install changed OSTEMPLATE"
	[ -s "$root/templates/tools/timestamp" ] || fail "container $id: no templates/tools/timestamp"
	ct_check_deb "$id"
	for p in "${APP_PKGS[@]}"; do
		grep -q "^$p " "$TEST_TMP/installed.$id" || fail "container $id: $p is not installed after install tools"
	done
	v=$(cat "$root/etc/tools-post" 2>/dev/null || true)
	[ -n "$v" ] && [ "$v" = "$(deb_installed_version "$id" "${APP_PKGS[0]}")" ] ||
		fail "container $id: post-install did not run in it after ${APP_PKGS[0]} was installed (/etc/tools-post: '$v')"
	block=$(ct_block "$OUT" "$id")
	[ -n "$block" ] && ! grep -q FAILED <<<"$block" || fail "install --all tools: container $id: '$block'$(vzpkg_log)"
done
printf '%s\n' "${CTS[@]}" | while read -r id; do echo "$id $(ct_private "$id")"; done >"$TEST_TMP/hn.want"
LC_ALL=C sort "$TEST_TMP/pre-install-hn.log" >"$TEST_TMP/hn.got" 2>/dev/null || true
cmp -s "$TEST_TMP/hn.want" "$TEST_TMP/hn.got" ||
	fail "pre-install-hn did not run once per container with \$1 = its root, \$2 = its ID (< expected, > got):
$(diff_lines "$TEST_TMP/hn.want" "$TEST_TMP/hn.got")"

# vztt's layout: the OS template, then "OST  APP", each with its install time
run_vzpkg list 101
[ "$RC" = 0 ] || fail "list 101 exited $RC$(vzpkg_log)"
STAMP='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}'
grep -qE "^$OST +tools +$STAMP\$" "$OUT" || fail "list 101 does not show the app template tools$(vzpkg_log)"
grep -qE "^$OST +$STAMP\$" "$OUT" || fail "list 101 does not show the OS template $OST$(vzpkg_log)"
n=$(grep -c '' "$(ct_private 101)/templates/vzpackages")
run_vzpkg list -p 101
[ "$RC" = 0 ] && [ "$(grep -c '' "$OUT")" = "$n" ] || fail "list -p 101 does not list the $n packages of templates/vzpackages$(vzpkg_log)"

# --- v2: newer versions of two installed packages ------------------------------
BUMP=()
for p in hostname gzip debianutils sed; do
	[ "${#BUMP[@]}" -lt 2 ] || break
	[ -n "$(deb_installed_version 101 "$p")" ] && [ -n "$(repo_field "$REPO" "$p" Filename)" ] && BUMP+=("$p")
done
[ "${#BUMP[@]}" = 2 ] || fail "found no two of hostname gzip debianutils sed installed in the containers"
declare -A OLDV NEWV FILE
for p in "${BUMP[@]}"; do
	OLDV[$p]=$(repo_field "$REPO" "$p" Version)
	NEWV[$p]=${OLDV[$p]}$SUFFIX
	repo_bump_package "$REPO" "$p" "$SUFFIX"
done
republish_repo "$REPO"
for p in "${BUMP[@]}"; do
	[ "$(repo_field "$REPO" "$p" Version)" = "${NEWV[$p]}" ] || fail "republished index lacks $p ${NEWV[$p]}"
	FILE[$p]=$(repo_field "$REPO" "$p" Filename)
done
HTTP_MARK=$(http_log_mark)
say "v2: ${BUMP[*]} bumped to $SUFFIX"

# The OS template's update hooks run in each container, before and after.
for h in pre-update post-update; do
	add_hook "$h" "if [ -d '$TEST_TMP' ]; then mkdir -p '$MARK' && touch '$MARK/$h'; exit 0; fi
dpkg-query -W -f='\${Version}\n' ${BUMP[0]} >/etc/vzt-$h"
done

# --- status ---------------------------------------------------------------------
# check_pending FILE WHAT: FILE's summary lists exactly the bumped packages'
# new versions for every container.
check_pending() {
	local id p block
	for id in "${CTS[@]}"; do
		block=$(ct_block "$1" "$id")
		[ "$(head -n 1 <<<"$block")" = "container $id: pending" ] ||
			fail "$2: no 'container $id: pending' line$(vzpkg_log)"
		for p in "${BUMP[@]}"; do
			grep -qxF "  install $p ${NEWV[$p]}" <<<"$block" ||
				fail "$2: container $id's plan lacks '  install $p ${NEWV[$p]}'$(vzpkg_log)"
		done
		[ "$(grep -c '^  ' <<<"$block")" = 2 ] || fail "$2: container $id's plan is not just ${BUMP[*]}: $block"
	done
}
run_vzpkg status --all
[ "$RC" = 22 ] || fail "status --all with pending updates exited $RC, expected 22$(vzpkg_log)"
check_pending "$OUT" "status --all"

run_vzpkg --json status --all
[ "$RC" = 22 ] || fail "--json status --all exited $RC, expected 22$(vzpkg_log)"
ct_json_facts "$OUT" >"$TEST_TMP/status.facts" ||
	fail "--json status --all: output not as expected: $(head -n 5 "$TEST_TMP/status.facts")
$(head -c 2000 "$OUT")"
for id in "${CTS[@]}"; do
	grep -qx "$id pending 0 -" "$TEST_TMP/status.facts" || fail "--json status: container $id not pending: $(cat "$TEST_TMP/status.facts")"
	for p in "${BUMP[@]}"; do
		grep -qxF "$id install $p ${NEWV[$p]}" "$TEST_TMP/status.facts" ||
			fail "--json status: container $id lacks install $p ${NEWV[$p]}: $(cat "$TEST_TMP/status.facts")"
	done
	[ "$(grep -c "^$id \(install\|remove\) " "$TEST_TMP/status.facts")" = 2 ] ||
		fail "--json status: container $id's plan is not just ${BUMP[*]}: $(grep "^$id " "$TEST_TMP/status.facts")"
done

# --- update -n: the plan, and nothing changes --------------------------------
for id in "${CTS[@]}"; do
	tree_manifest "$(ct_private "$id")" "$TEST_TMP/tree.$id.before"
	cp "$(ct_conf "$id")" "$TEST_TMP/conf.$id.before"
done
sleep 1.1 # a rewrite in the same second could keep an mtime
run_vzpkg update -n --all
[ "$RC" = 0 ] || fail "update -n --all exited $RC$(vzpkg_log)"
check_pending "$OUT" "update -n --all"
for id in "${CTS[@]}"; do
	tree_manifest "$(ct_private "$id")" "$TEST_TMP/tree.$id.after"
	cmp -s "$TEST_TMP/tree.$id.before" "$TEST_TMP/tree.$id.after" ||
		fail "update -n changed container $id (< before, > after):
$(diff_lines "$TEST_TMP/tree.$id.before" "$TEST_TMP/tree.$id.after")"
	cmp -s "$TEST_TMP/conf.$id.before" "$(ct_conf "$id")" || fail "update -n changed $(ct_conf "$id")"
done
ct_no_leftovers

# --- update --all -----------------------------------------------------------------
run_vzpkg update --all
[ "$RC" = 0 ] || fail "update --all exited $RC$(vzpkg_log)"
ct_no_leftovers
# each package decompressed once for all containers, and every container's dpkg read that copy
for id in "${CTS[@]}"; do
	grep -q '^### dpkg: dpkg --install .* /run/vzpkg/expanded/[0-9a-f]\{64\}\.deb' "$LOG_DIR/ct-$id.log" ||
		fail "container $id: its dpkg did not read the packages decompressed ahead ($LOG_DIR/ct-$id.log)"
	! grep -q '^### dpkg: dpkg --install .* /run/vzpkg/packages/' "$LOG_DIR/ct-$id.log" ||
		fail "container $id: its dpkg decompressed a package again ($LOG_DIR/ct-$id.log)"
done
[ ! -e "$MARK" ] || fail "container hooks ran on the host: $(ls "$MARK")"
for id in "${CTS[@]}"; do
	block=$(ct_block "$OUT" "$id")
	[ -n "$block" ] && ! grep -q FAILED <<<"$block" || fail "update --all: container $id: '$block'$(vzpkg_log)"
	root=$(ct_private "$id")
	ct_check_deb "$id"
	for p in "${BUMP[@]}"; do
		v=$(deb_installed_version "$id" "$p")
		[ "$v" = "${NEWV[$p]}" ] || fail "container $id: $p is '$v' after update, expected ${NEWV[$p]}"
	done
	for p in "${APP_PKGS[@]}"; do
		grep -q "^$p " "$TEST_TMP/installed.$id" || fail "container $id: update removed the app's $p"
	done
	ct_has_app "$id" tools || fail "container $id: update dropped .tools from TEMPLATES"
	v=$(cat "$root/etc/vzt-pre-update" 2>/dev/null || true)
	[ "$v" = "${OLDV[${BUMP[0]}]}" ] || fail "container $id: pre-update saw ${BUMP[0]} '$v', expected ${OLDV[${BUMP[0]}]}"
	v=$(cat "$root/etc/vzt-post-update" 2>/dev/null || true)
	[ "$v" = "${NEWV[${BUMP[0]}]}" ] || fail "container $id: post-update saw ${BUMP[0]} '$v', expected ${NEWV[${BUMP[0]}]}"
done

# Every bumped .deb was downloaded once for the three containers.
http_requests_since "$HTTP_MARK" >"$TEST_TMP/requests"
for p in "${BUMP[@]}"; do
	n=$(grep -c " /${FILE[$p]} " "$TEST_TMP/requests" || true)
	[ "$n" = 1 ] || fail "${FILE[$p]} was requested $n times for ${#CTS[@]} containers, expected once:
$(grep -F "${FILE[$p]}" "$TEST_TMP/requests")"
	grep -qxF "GET /${FILE[$p]} 200" "$TEST_TMP/requests" || fail "no successful GET of ${FILE[$p]}"
done

run_vzpkg status --all
[ "$RC" = 0 ] || fail "status --all after update --all exited $RC, expected 0$(vzpkg_log)"
for id in "${CTS[@]}"; do
	[ "$(ct_block "$OUT" "$id")" = "container $id: up to date" ] ||
		fail "status --all after the update: container $id: '$(ct_block "$OUT" "$id")'$(vzpkg_log)"
done

# --- remove the app from one container ------------------------------------------
run_vzpkg remove 101 tools
[ "$RC" = 0 ] || fail "remove 101 tools exited $RC$(vzpkg_log)"
ct_no_leftovers
[ ! -e "$MARK" ] || fail "container hooks ran on the host: $(ls "$MARK")"
ct_check_deb 101
for p in "${APP_PKGS[@]}"; do
	! grep -q "^$p " "$TEST_TMP/installed.101" || fail "container 101: $p is still installed after remove 101 tools"
done
! ct_has_app 101 tools || fail "container 101: TEMPLATES is still '$(ct_conf_get 101 TEMPLATES)' after remove"
[ ! -e "$(ct_private 101)/templates/tools" ] || fail "container 101: templates/tools is still there after remove"
v=$(cat "$(ct_private 101)/etc/tools-pre-remove" 2>/dev/null || true)
[ -n "$v" ] || fail "container 101: pre-remove did not run while ${APP_PKGS[0]} was installed"
v=$(cat "$(ct_private 101)/etc/tools-post-remove" 2>/dev/null || true)
[[ $v == gone || $v == *not-installed || $v == *config-files ]] ||
	fail "container 101: post-remove did not run after ${APP_PKGS[0]} was removed (it saw '$v')"
ct_check_deb 102
ct_has_app 102 tools && grep -q "^${APP_PKGS[0]} " "$TEST_TMP/installed.102" ||
	fail "remove 101 tools changed container 102"

# --- destroy ct ---------------------------------------------------------------------
run_vzpkg destroy ct 103
[ "$RC" = 0 ] || fail "destroy ct 103 exited $RC$(vzpkg_log)"
[ ! -e "$(ct_conf 103)" ] || fail "destroy ct 103 left $(ct_conf 103)"
[ ! -e "$(ct_private 103)" ] || fail "destroy ct 103 left $(ct_private 103)"
[ -d "$(ct_private 102)/etc" ] && [ -f "$(ct_conf 102)" ] || fail "destroy ct 103 damaged container 102"
run_vzpkg exec 103 -- true
[ "$RC" != 0 ] && grep -q 103 "$ERR" || fail "exec in the destroyed container 103 exited $RC$(vzpkg_log)"
ct_no_leftovers

echo "PASS: $TEST_NAME"
