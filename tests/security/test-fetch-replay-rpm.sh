#!/bin/bash
# Replay of rpm-md metadata: after version 2 of the vztest repository was
# accepted, the validly signed repodata of version 1 served again (as a stale
# mirror or an attacker would, with a fresh Last-Modified) is refused by
# 'update metadata' and 'status' with exit 81 and one line naming the
# repomd.xml URL; the same with the <revision> removed from the old
# repomd.xml (re-signed), so that only its older <timestamp>s tell. The
# cached, newer metadata stays as it was, and the current state is accepted
# again afterwards. No base system is built.
. "$(dirname "$0")/../integration/lib.sh"

setup_rpm_env
config_set METADATA_EXPIRE 0
REPOMD_URL=$RPM_MIRROR/repodata/repomd.xml

snapshot() {
	(cd "$METADATA_CACHE" && find . -type f ! -name .lock -print0 | sort -z | xargs -0r sha256sum) >"$TEST_TMP/meta.$1"
}
check_unchanged() {
	snapshot now
	cmp -s "$TEST_TMP/meta.$1" "$TEST_TMP/meta.now" ||
		fail "$2: the metadata cache changed (< before, > after): $(diff_lines "$TEST_TMP/meta.$1" "$TEST_TMP/meta.now")"
	[ -z "$(find "$METADATA_CACHE" -name '*.prev' -o -name '*.new' -o -name '*.part')" ] ||
		fail "$2: temporary files left in the metadata cache: $(find "$METADATA_CACHE" -name '*.prev' -o -name '*.new' -o -name '*.part')"
}
# publish DIR: DIR's repodata as the repository's, every file with a new
# mtime (a replay must not hide behind If-Modified-Since).
publish() {
	rm -rf "$RPM_REPO/repodata"
	cp -r "$1" "$RPM_REPO/repodata"
	touch -d "@$(($(date +%s) + 10))" "$RPM_REPO"/repodata/*
}
update_ok() {
	run_vzpkg -q update metadata "$OST"
	[ "$RC" = 0 ] || fail "update metadata ($1) exited $RC$(vzpkg_log)"
}

update_ok "version 1"
cp -a "$RPM_REPO/repodata" "$TEST_TMP/repodata.1"
grep -q '<revision>[0-9]*</revision>' "$TEST_TMP/repodata.1/repomd.xml" ||
	fail "createrepo_c wrote no numeric <revision>: $(head -c 600 "$TEST_TMP/repodata.1/repomd.xml")"
build_rpm_repo 2
cp -a "$RPM_REPO/repodata" "$TEST_TMP/repodata.2"
update_ok "version 2"
snapshot v2

# --- version 1 again: older revision ---------------------------------------------
publish "$TEST_TMP/repodata.1"
run_vzpkg -q update metadata "$OST"
check_error "$EXIT_VERIFY" "$REPOMD_URL" replay revision
check_unchanged v2 "replayed repomd.xml"
run_vzpkg status "$OST"
check_error "$EXIT_VERIFY" "$REPOMD_URL" replay
! grep -q current "$OUT" || fail "status printed 'current' from the replayed state: $(cat "$OUT")"
check_unchanged v2 "replayed repomd.xml (status)"

# --- version 1 without <revision>, re-signed: its older timestamps tell -----------------
mkdir -p "$TEST_TMP/repodata.1b"
cp "$TEST_TMP"/repodata.1/* "$TEST_TMP/repodata.1b/"
sed -i '/<revision>/d' "$TEST_TMP/repodata.1b/repomd.xml"
! grep -q '<revision>' "$TEST_TMP/repodata.1b/repomd.xml" || fail "could not drop <revision>"
publish "$TEST_TMP/repodata.1b"
bash -c '. "$1/common.sh" && sign_repomd "$2" "$3" good' _ "$RPM_TOOLS" "$RPM_REPO" "$RPM_KEYS" \
	>>"$TEST_TMP/rpm-build.log" 2>&1 || fail "could not re-sign repomd.xml: $(tail -n 5 "$TEST_TMP/rpm-build.log")"
run_vzpkg -q update metadata "$OST"
check_error "$EXIT_VERIFY" "$REPOMD_URL" replay dated
check_unchanged v2 "replayed repomd.xml without revision"

# --- the current state again: accepted -------------------------------------------
publish "$TEST_TMP/repodata.2"
update_ok "version 2 again"
check_unchanged v2 "version 2 again"
assert_no_leftovers
echo "PASS: $TEST_NAME"
