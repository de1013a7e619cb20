#!/bin/bash
# METADATA_EXPIRE: within the expiry time a build uses the cached Release
# files without asking the repository; 'update metadata' asks anyway (a
# conditional request); METADATA_EXPIRE=0 asks on every run.  Checked in the
# HTTP server's access log.
. "$(dirname "$0")/lib.sh"

setup_repo_env
config_set METADATA_EXPIRE 1h
RELEASE_RE="^GET /dists/$SUITE/(InRelease|Release|Release\\.gpg) "
INRELEASE_RE="^GET /dists/$SUITE/InRelease "

# requests_since MARK: the requests logged since MARK, also kept in $REQ.
REQ=$TEST_TMP/requests
requests_since() { http_requests_since "$1" | tee "$REQ" >/dev/null; }
show_requests() { printf '\nrequests:\n%s' "$(head -n 20 "$REQ")"; }

# Empty metadata cache: fetch downloads the Release file.
mark=$(http_log_mark)
run_vzpkg fetch "$OST"
[ "$RC" = 0 ] || fail "vzpkg fetch $OST exited $RC$(vzpkg_log)"
requests_since "$mark"
grep -qE "$INRELEASE_RE"'200$' "$REQ" || fail "the first fetch did not download InRelease$(show_requests)"

# Within the hour: create cache -f does not ask for the Release files.
mark=$(http_log_mark)
run_vzpkg create cache -f "$OST"
[ "$RC" = 0 ] || fail "vzpkg create cache -f $OST exited $RC$(vzpkg_log)"
assert_no_leftovers
requests_since "$mark"
! grep -qE "$RELEASE_RE" "$REQ" ||
	fail "with METADATA_EXPIRE=1h, create cache -f right after a fetch requested the Release files again$(show_requests)"

# update metadata asks anyway; the file did not change, so 304 (or 200).
mark=$(http_log_mark)
run_vzpkg update metadata
[ "$RC" = 0 ] || fail "vzpkg update metadata exited $RC$(vzpkg_log)"
requests_since "$mark"
grep -qE "$INRELEASE_RE"'(200|304)$' "$REQ" ||
	fail "update metadata did not request InRelease$(show_requests)"
if grep -qE "$INRELEASE_RE"'200$' "$REQ"; then
	say "note: update metadata's InRelease request got 200, not 304 (not conditional on Last-Modified?)"
fi

# ... also for a named template.
mark=$(http_log_mark)
run_vzpkg update metadata "$OST"
[ "$RC" = 0 ] || fail "vzpkg update metadata $OST exited $RC$(vzpkg_log)"
requests_since "$mark"
grep -qE "$INRELEASE_RE"'(200|304)$' "$REQ" ||
	fail "update metadata $OST did not request InRelease$(show_requests)"

# METADATA_EXPIRE=0: every run asks.
config_set METADATA_EXPIRE 0
mark=$(http_log_mark)
run_vzpkg fetch "$OST"
[ "$RC" = 0 ] || fail "vzpkg fetch $OST with METADATA_EXPIRE=0 exited $RC$(vzpkg_log)"
requests_since "$mark"
grep -qE "$INRELEASE_RE"'(200|304)$' "$REQ" ||
	fail "with METADATA_EXPIRE=0, fetch did not request InRelease$(show_requests)"

echo "PASS: $TEST_NAME"
