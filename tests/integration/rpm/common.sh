# shellcheck shell=bash
# common.sh - building the vztest RPM distribution (sourced by
# build-rpm-repo.sh and repo-variant.sh, not by the tests).
#
# A repository directory OUTDIR holds Packages/<first letter>/*.rpm, the
# createrepo_c metadata in repodata/, and repodata/repomd.xml.asc, a detached
# armored signature of repomd.xml.  KEYDIR holds the throwaway signing keys,
# each in its own GNUPGHOME (KEYDIR/gnupg-NAME, never the user's keyring),
# and their armored public keys: RPM-GPG-KEY-vzt for the key "good" (the one
# the template lists), RPM-GPG-KEY-vzt-NAME for any other.

set -euo pipefail

RPM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SPEC_DIR=$RPM_DIR/specs
: "${VZT_BUSYBOX:=/bin/busybox}"
# Package builds are reproducible: fixed build time and host, file times
# clamped (as distributions build them).
VZT_SOURCE_DATE_EPOCH=1700000000

_agents=()
_work=()
_common_cleanup() {
	local d
	for d in "${_agents[@]}"; do gpgconf --homedir "$d" --kill gpg-agent 2>/dev/null || true; done
	for d in "${_work[@]}"; do rm -rf "$d"; done
}
trap _common_cleanup EXIT

die() {
	printf '%s: %s\n' "$(basename "$0")" "$*" >&2
	exit 1
}

# key_file KEYDIR NAME: the armored public key of key NAME.
key_file() {
	if [ "$2" = good ]; then echo "$1/RPM-GPG-KEY-vzt"; else echo "$1/RPM-GPG-KEY-vzt-$2"; fi
}

# key_home KEYDIR NAME: make key NAME (RSA 2048, no passphrase) once and
# export its public key; sets KEY_HOME to its GNUPGHOME.  Later calls reuse
# it, so that every version of the distribution is signed by the same key.
key_home() {
	local home=$1/gnupg-$2 uid="vztest $2 signing key <$2@vztest.invalid>"
	KEY_HOME=$home
	mkdir -p "$1"
	if [ ! -s "$home/.vzt-fpr" ]; then
		rm -rf "$home"
		mkdir -m 700 "$home"
		printf 'trust-model always\nquiet\n' >"$home/gpg.conf"
		GNUPGHOME=$home gpg --batch --passphrase '' --quick-gen-key "$uid" rsa2048 sign never \
			2>"$home/.genkey.log" || die "gpg could not make key $2: $(cat "$home/.genkey.log")"
		GNUPGHOME=$home gpg --batch --with-colons --list-keys "=$uid" |
			awk -F: '$1 == "fpr" { print $10; exit }' >"$home/.vzt-fpr"
		[ -s "$home/.vzt-fpr" ] || die "no fingerprint for key $2"
		GNUPGHOME=$home gpg --batch --armor --export "$(cat "$home/.vzt-fpr")" >"$(key_file "$1" "$2")"
		[ -s "$(key_file "$1" "$2")" ] || die "could not export key $2"
	fi
	_agents+=("$home")
}

key_fpr() { cat "$1/gnupg-$2/.vzt-fpr"; }

# spec_for_version VERSION: the spec files that are part of that version.
specs_for_version() {
	local s
	for s in "$SPEC_DIR"/*.spec; do
		grep -Eq "^# vzt-dist-versions:.*[[:space:]]$1([[:space:]]|\$)" "$s" && echo "$s"
	done
}

# stage_dir OUTDIR: sets STAGE to a new work directory beside OUTDIR (never
# inside it: createrepo_c would index whatever .rpm files it holds), removed
# on exit.
stage_dir() {
	STAGE=$(mktemp -d "$1.stage.XXXXXX")
	_work+=("$STAGE")
}

# build_rpms DESTDIR VERSION SPEC...: rpmbuild -bb each spec in a private
# _topdir; the binary packages end up in DESTDIR (flat).  Unsigned.
build_rpms() {
	local dest=$1 version=$2 top spec log
	shift 2
	[ -x "$VZT_BUSYBOX" ] || die "$VZT_BUSYBOX: no such executable (install busybox-static)"
	! ldd "$VZT_BUSYBOX" >/dev/null 2>&1 || die "$VZT_BUSYBOX is not a static binary (install busybox-static)"
	top=$(mktemp -d "$dest.rpmbuild.XXXXXX")
	_work+=("$top")
	mkdir -p "$dest"
	for spec; do
		log=$top/$(basename "$spec" .spec).log
		if ! SOURCE_DATE_EPOCH=$VZT_SOURCE_DATE_EPOCH rpmbuild -bb --quiet \
			--define "_topdir $top" \
			--define "_dbpath $top/rpmdb" \
			--define "_build_id_links none" \
			--define "debug_package %{nil}" \
			--define "__os_install_post %{nil}" \
			--define "_binary_payload w19.zstdio" \
			--define "_buildhost vztest-build" \
			--define "clamp_mtime_to_source_date_epoch 1" \
			--define "use_source_date_epoch_as_buildtime 1" \
			--define "vzt_release $version" \
			--define "vzt_busybox $VZT_BUSYBOX" \
			"$spec" >"$log" 2>&1; then
			die "rpmbuild $spec failed: $(tail -n 20 "$log")"
		fi
	done
	find "$top/RPMS" -name '*.rpm' -exec mv -t "$dest" {} +
	rm -rf "$top"
}

# sign_rpms KEYDIR KEYNAME FILE...: rpmsign --addsign with key KEYNAME.
sign_rpms() {
	local keydir=$1 name=$2 home log
	shift 2
	key_home "$keydir" "$name"
	home=$KEY_HOME
	log=$(mktemp)
	_work+=("$log")
	if ! rpmsign --addsign \
		--define "_gpg_path $home" \
		--define "_gpg_name $(key_fpr "$keydir" "$name")" \
		--define "__gpg $(command -v gpg)" \
		"$@" >"$log" 2>&1; then
		die "rpmsign with key $name failed: $(tail -n 20 "$log")"
	fi
}

# rpm_name FILE: the package name in an .rpm file's header.
rpm_name() { rpm -qp --nosignature --nodigest --qf '%{NAME}' "$1"; }

# repo_file OUTDIR NAME: the repository's .rpm file of package NAME.
repo_file() {
	local f
	for f in "$1"/Packages/*/*.rpm; do
		[ -e "$f" ] || continue
		[ "$(rpm_name "$f")" = "$2" ] && { echo "$f"; return 0; }
	done
	die "package $2 is not in the repository $1"
}

# publish OUTDIR FILE...: put the packages into OUTDIR/Packages/<letter>/
# (as a mirror does: a file that is already there under the same name, the
# same name-version-release.arch, is kept as it is), and remove every other
# package from OUTDIR.
publish() {
	local out=$1 f base keep
	shift
	mkdir -p "$out/Packages"
	keep=$(mktemp)
	_work+=("$keep")
	for f; do
		base=$(basename "$f")
		echo "$base" >>"$keep"
		mkdir -p "$out/Packages/${base:0:1}"
		[ -e "$out/Packages/${base:0:1}/$base" ] || mv "$f" "$out/Packages/${base:0:1}/$base"
	done
	for f in "$out"/Packages/*/*.rpm; do
		[ -e "$f" ] || continue
		grep -qxF "$(basename "$f")" "$keep" || rm -f "$f"
	done
	find "$out/Packages" -mindepth 1 -type d -empty -delete
}

# replace_rpm OUTDIR FILE: FILE takes the place of the repository's package
# of the same name (its file name may stay the same).
replace_rpm() {
	local out=$1 new=$2 old base
	old=$(repo_file "$out" "$(rpm_name "$new")")
	rm -f "$old"
	base=$(basename "$new")
	mkdir -p "$out/Packages/${base:0:1}"
	mv "$new" "$out/Packages/${base:0:1}/$base"
}

# index OUTDIR: (re)write repodata/ with createrepo_c.  Waits for the next
# second first, so that a republished repomd.xml has a later revision and
# timestamps, and later file times (HTTP Last-Modified), than the one
# before.
index() {
	local out=$1 old=0 log n_files n_index
	[ ! -e "$out/repodata/repomd.xml" ] || old=$(stat -c %Y "$out/repodata/repomd.xml")
	while [ "$(date +%s)" -le "$old" ]; do sleep 0.2; done
	log=$(mktemp)
	_work+=("$log")
	createrepo_c --quiet --general-compress-type=gz "$out" >"$log" 2>&1 ||
		die "createrepo_c $out failed: $(tail -n 20 "$log")"
	[ -s "$out/repodata/repomd.xml" ] || die "createrepo_c wrote no repomd.xml"
	# primary.xml describes exactly the files below Packages/.
	n_files=$(find "$out" -name '*.rpm' | wc -l)
	n_index=$(zcat "$out"/repodata/*-primary.xml.gz | grep -c '<package type="rpm">' || true)
	[ "$n_files" = "$(find "$out/Packages" -name '*.rpm' | wc -l)" ] && [ "$n_files" = "$n_index" ] ||
		die "$out: primary.xml lists $n_index packages, the repository has $n_files .rpm files"
}

# sign_repomd OUTDIR KEYDIR KEYNAME: repodata/repomd.xml.asc, a detached
# armored signature of repomd.xml.
sign_repomd() {
	local out=$1 home
	key_home "$2" "$3"
	home=$KEY_HOME
	GNUPGHOME=$home gpg --batch --yes --quiet --pinentry-mode loopback --passphrase '' \
		--digest-algo SHA256 --local-user "$(key_fpr "$2" "$3")" \
		--armor --detach-sign -o "$out/repodata/repomd.xml.asc" "$out/repodata/repomd.xml" ||
		die "gpg could not sign $out/repodata/repomd.xml"
}

# spec_of NAME: the spec file of package NAME.
spec_of() {
	[ -f "$SPEC_DIR/$1.spec" ] || die "no spec file for package $1"
	echo "$SPEC_DIR/$1.spec"
}
