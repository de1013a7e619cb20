#!/bin/bash
# create cache from a signed test repository: the archive unpacks into a sane
# Debian root whose package lists (vzpackages, JSON manifest) tell the truth.
. "$(dirname "$0")/lib.sh"

# gawk is optional priority: proof that the template's packages are installed,
# not just the required base (apt itself is required in bookworm).
extra=()
require_privileges
fetch_test_debs
deb_in_cache gawk && extra=(gawk)
setup_repo_env apt "${extra[@]}"

run_vzpkg create cache "$OST"
[ "$RC" = 0 ] || fail "vzpkg create cache $OST exited $RC$(vzpkg_log)"
assert_no_leftovers
grep -q "$OST" "$OUT" || fail "no result line naming $OST on stdout$(vzpkg_log)"

CACHE=$TEMPLATE/cache/$OST.tar.zst
[ -s "$CACHE" ] || fail "no cache $CACHE; cache dir: $(ls -A "$TEMPLATE/cache")"
[ -s "$TEMPLATE/cache/$OST.json" ] || fail "no manifest $OST.json beside the cache"

ROOT=$TEST_TMP/unpacked
unpack_cache "$CACHE" "$ROOT"
check_root_sane "$ROOT"

# Every required (and essential) package of the repository is installed, and
# so is every package the template lists.
PACKAGES=$(repo_packages "$REPO")
python3 "$HELPERS" installed "$ROOT/var/lib/dpkg/status" >"$TEST_TMP/installed"
for p in $(python3 "$HELPERS" required "$PACKAGES") apt "${extra[@]}"; do
	grep -q "^$p " "$TEST_TMP/installed" || fail "package $p is not installed in the cache"
done

# templates/vzpackages lists exactly the installed packages, as " name arch version".
VZP=$ROOT/templates/vzpackages
[ -s "$VZP" ] || fail "no templates/vzpackages in the cache"
bad=$(grep -vE '^ [^ ]+ [^ ]+ [^ ]+$' "$VZP" | head -n 3) || true
[ -z "$bad" ] || fail "vzpackages lines not of the form ' name arch version': $bad"
sed 's/^ //' "$VZP" | sort >"$TEST_TMP/vzpackages.sorted"
if ! cmp -s "$TEST_TMP/installed" "$TEST_TMP/vzpackages.sorted"; then
	fail "vzpackages differs from the installed packages (< installed, > vzpackages):
$(diff_lines "$TEST_TMP/installed" "$TEST_TMP/vzpackages.sorted")"
fi

# The JSON manifest: right template, each package's sha256 as in Packages,
# every installed package present, the repository recorded.
problems=$(python3 "$HELPERS" check-manifest "$TEMPLATE/cache/$OST.json" "$PACKAGES" \
	"$ROOT/var/lib/dpkg/status" "$OST" "$MIRROR") ||
	fail "manifest $OST.json: $(head -n 20 <<<"$problems")"

# The container's apt points at the template's repository ...
grep -rqsF "$MIRROR" "$ROOT/etc/apt/sources.list" "$ROOT/etc/apt/sources.list.d/" ||
	fail "the cache's apt sources do not name $MIRROR"
# ... but ships no downloaded indexes (they are stale the moment the cache is used).
lists=$(find "$ROOT/var/lib/apt/lists" -name '*Packages*' 2>/dev/null | head -n 5) || true
[ -z "$lists" ] || fail "the cache ships apt lists: $lists"

echo "PASS: $TEST_NAME"
