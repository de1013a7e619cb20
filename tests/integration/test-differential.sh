#!/bin/bash
# test-differential: vzpkg's resolution equals apt's (offline). The signed
# test repository built from the cached .debs; apt on the host with a private
# state dir and an empty dpkg status, and `vzpkg resolve`, on the minimal set
# (Essential + required + apt: mmdebstrap's minbase) and on 100 seeded random
# sets of 1-5 packages of that repository. Any difference not in
# tests/differential/policy.txt fails.
. "$(dirname "$0")/lib.sh"

command -v apt-get >/dev/null || skip "apt-get not available"
setup_repo_env apt
make_template minimal apt
python3 "$VZPKG_SRC/tests/differential/apt_diff.py" --vzpkg "$VZPKG" --config "$CONF" \
	--template "$OST" --keyring "$TEST_TMP/keys/test.asc" --template-case \
	--random 100 --seed 9 --workdir "$TEST_TMP/aptdiff" >"$TEST_TMP/diff.out" 2>&1 || {
	cat "$TEST_TMP/diff.out" >&2
	fail "$OST: vzpkg and apt resolve differently"
}
say "$(head -n 1 "$TEST_TMP/diff.out")"
grep -Eq '^101 cases: [1-9]' "$TEST_TMP/diff.out" || fail "no case compared equal: $(cat "$TEST_TMP/diff.out")"
