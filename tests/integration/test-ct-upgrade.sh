#!/bin/bash
# heavy
# vzpkg upgrade against the test repository, offline: the "next release"
# is a debian-13-x86_64 template beside the test's debian-12-x86_64 (the
# same repository, plus one package), listing 12 in upgradable_versions.
# Without it upgrade exits 24 naming the template; upgrade -n lists the
# plan and changes nothing; a snapshot left by an earlier run that never
# ended makes upgrade exit 1 in one line naming it with the way back (mv)
# and forward (rm -rf), the private area and that snapshot untouched
# (every file's bytes and metadata); a post-upgrade hook that fails after dpkg ran
# exits 8 and the container is restored exactly (every file's bytes,
# mode, owner and mtime, dpkg's status, the config byte for byte); without
# the failure the upgrade succeeds: the package is installed, dpkg's
# audit is clean, OSTEMPLATE and the stamps name debian-13-x86_64.
. "$(dirname "$0")/lib.sh"

setup_lc_env
setup_ct_env 1
create_cts "$OST" 111
ROOT=$(ct_private 111)

# no newer release in the template area
run_vzpkg upgrade 111
check_error "$EXIT_TEMPLATE" "$OST"
grep -q 'upgradable_versions' "$ERR" || fail "the error does not say what makes a template the next release: $(cat "$ERR")"

NEW=$TEMPLATE/debian/13/x86_64/config/os/default
mkdir -p "$NEW"
cp -a "$TDIR/." "$NEW/"
PKG=$(uninstalled_pkg 111 original-awk gawk)
echo "$PKG" >>"$NEW/packages"
echo 12 >"$NEW/upgradable_versions"
printf '#!/bin/bash\nif [ -e /etc/fail-upgrade ]; then echo "failing on purpose" >&2; exit 7; fi\n' >"$NEW/post-upgrade"
chmod 755 "$NEW/post-upgrade"

tree_manifest "$ROOT" "$TEST_TMP/tree.plain" content
run_vzpkg upgrade -n 111
[ "$RC" = 0 ] || fail "upgrade -n 111 exited $RC$(vzpkg_log)"
grep -Eq "^container 111: upgrade pending from $OST to debian-13-x86_64: 0 upgraded, [1-9][0-9]* new, 0 removed\$" "$OUT" ||
	fail "upgrade -n 111 printed: $(head -n 3 "$OUT")"
grep -q "^  install $PKG " "$OUT" || fail "the plan does not install $PKG: $(cat "$OUT")"
tree_manifest "$ROOT" "$TEST_TMP/tree.n" content
cmp -s "$TEST_TMP/tree.plain" "$TEST_TMP/tree.n" ||
	fail "upgrade -n changed the container: $(diff_lines "$TEST_TMP/tree.plain" "$TEST_TMP/tree.n")"

# a snapshot left by a run that never ended (host crash): the admin's to decide
SNAP=$ROOT.vzpkg-snapshot
mkdir -p "$SNAP/etc"
echo "the state before" >"$SNAP/etc/marker"
tree_manifest "$ROOT" "$TEST_TMP/tree.left.before" content
tree_manifest "$SNAP" "$TEST_TMP/snap.left.before" content
run_vzpkg upgrade 111
check_error 1 "container 111" "$SNAP" "mv $ROOT $ROOT.broken && mv $SNAP $ROOT" "rm -rf $SNAP"
tree_manifest "$ROOT" "$TEST_TMP/tree.left.after" content
tree_manifest "$SNAP" "$TEST_TMP/snap.left.after" content
cmp -s "$TEST_TMP/tree.left.before" "$TEST_TMP/tree.left.after" ||
	fail "upgrade with a leftover snapshot changed the container: $(diff_lines "$TEST_TMP/tree.left.before" "$TEST_TMP/tree.left.after")"
cmp -s "$TEST_TMP/snap.left.before" "$TEST_TMP/snap.left.after" ||
	fail "upgrade changed the leftover snapshot: $(diff_lines "$TEST_TMP/snap.left.before" "$TEST_TMP/snap.left.after")"
[ "$(ct_conf_get 111 OSTEMPLATE)" = ".$OST" ] || fail "OSTEMPLATE is $(ct_conf_get 111 OSTEMPLATE)"
rm -rf "$SNAP"  # keep the current state, as the message says

# a failing post-upgrade hook: everything back as it was
echo fail >"$ROOT/etc/fail-upgrade"
tree_manifest "$ROOT" "$TEST_TMP/tree.before" content
cp "$(ct_conf 111)" "$TEST_TMP/conf.before"
cp "$ROOT/var/lib/dpkg/status" "$TEST_TMP/status.before"
run_vzpkg upgrade 111
[ "$RC" = "$EXIT_HOOK" ] || fail "upgrade 111 with a failing post-upgrade exited $RC, expected $EXIT_HOOK$(vzpkg_log)"
block=$(ct_block "$OUT" 111)
[[ $block == "container 111: FAILED: "*post-upgrade*7*"; rolled back" ]] ||
	fail "the summary does not say that post-upgrade failed with status 7 and it was rolled back: '$block'"
grep -q "Setting up $PKG " "$LOG_DIR/ct-111.log" || fail "dpkg did not run before the hook failed (no 'Setting up $PKG' in the log)"
cmp -s "$TEST_TMP/status.before" "$ROOT/var/lib/dpkg/status" || fail "dpkg's status differs after the roll-back"
cmp -s "$TEST_TMP/conf.before" "$(ct_conf 111)" ||
	fail "the config changed: $(diff_lines "$TEST_TMP/conf.before" "$(ct_conf 111)")"
tree_manifest "$ROOT" "$TEST_TMP/tree.after" content
cmp -s "$TEST_TMP/tree.before" "$TEST_TMP/tree.after" ||
	fail "the container is not as before (< before, > after):
$(diff_lines "$TEST_TMP/tree.before" "$TEST_TMP/tree.after")"
ct_no_leftovers

# and now for real
rm "$ROOT/etc/fail-upgrade"
run_vzpkg --json upgrade 111
[ "$RC" = 0 ] || fail "upgrade 111 exited $RC$(vzpkg_log)"
python3 - "$OUT" "$PKG" <<-'PY' || fail "upgrade --json: $(cat "$OUT")"
	import json, sys
	a = json.load(open(sys.argv[1]))
	o = a[0]
	assert o["ct"] == "111" and o["to"] == "debian-13-x86_64" and o["result"] == 0, o
	assert [p["name"] for p in o["install"]] == [sys.argv[2]], o["install"]
	assert not o["rolled_back"] and not o["dry_run"], o
PY
[ "$(ct_conf_get 111 OSTEMPLATE)" = .debian-13-x86_64 ] || fail "OSTEMPLATE is $(ct_conf_get 111 OSTEMPLATE)"
[ -n "$(deb_installed_version 111 "$PKG")" ] || fail "$PKG is not installed after the upgrade"
[ -s "$ROOT/templates/debian-13-x86_64/timestamp" ] && [ ! -e "$ROOT/templates/$OST" ] ||
	fail "the stamps are not the new template's: $(ls "$ROOT/templates")"
ct_check_deb 111
ct_no_leftovers
say "ok: upgrade -n, a leftover snapshot refused untouched, a failed upgrade rolled back exactly, an upgrade"
