#!/usr/bin/env python3
"""Data helpers for the RPM integration tests (test-rpm-*.sh, through the
rpm_* functions of lib.sh).  Like helpers.py: results on stdout; a check
that finds problems prints one line per problem and exits 1."""

import json
import os
import sys

# The input files are written by lib.sh with rpm --queryformat; see
# rpm_repo_query, rpm_repo_sums and rpm_installed there.


def rpm_packages(query):
    """Packages of an 'rpm -qp' dump: lines 'N name arch', then 'P provide',
    'R require' and 'F file' lines of that package."""
    pkgs, cur = [], None
    with open(query, encoding="utf-8") as f:
        for line in f:
            kind, _, rest = line.rstrip("\n").partition(" ")
            if kind == "N":
                name, arch = rest.split()
                cur = {"name": name, "arch": arch, "provides": {name}, "requires": [], "files": set()}
                pkgs.append(cur)
            elif kind == "P" and cur:
                cur["provides"].add(rest)
            elif kind == "R" and cur:
                cur["requires"].append(rest)
            elif kind == "F" and cur:
                cur["files"].add(rest)
    return pkgs


def rich_alternatives(dep):
    """'(a or b or c)' -> ['a', 'b', 'c']; 'and' and nesting are not used by
    the test distribution and are refused."""
    inner = dep.strip()[1:-1].strip()
    if "(" in inner or " and " in inner or " if " in inner or " with " in inner:
        raise ValueError(f"unsupported rich dependency {dep}")
    return [a.strip() for a in inner.split(" or ")]


def cmd_rpm_closure(query, *names):
    """The names of the packages a resolver must install for NAMES (package
    names or anything provided): the closure over Requires, by name,
    Provides and file.  A name provided by several packages is ambiguous
    (the test distribution has none), an alternative of a rich dependency
    already chosen is preferred, else the first that exists.  Prints the
    sorted names, or the problems and exits 1."""
    pkgs = rpm_packages(query)
    chosen, problems, todo = {}, [], []

    def providers(dep):
        return [p for p in pkgs if dep in p["provides"] or dep in p["files"]]

    def pick(dep, why):
        if dep.startswith("rpmlib("):
            return None
        alts = rich_alternatives(dep) if dep.startswith("(") else [dep]
        for a in alts:
            for p in providers(a):
                if p["name"] in chosen:
                    return p
        for a in alts:
            found = providers(a)
            if len(found) > 1:
                problems.append(f"{a} ({why}) is provided by several packages: "
                                + " ".join(sorted(p["name"] for p in found)))
                return None
            if found:
                return found[0]
        problems.append(f"nothing provides {dep} ({why})")
        return None

    for n in names:
        p = pick(n, "listed")
        if p and p["name"] not in chosen:
            chosen[p["name"]] = p
            todo.append(p)
    while todo:
        p = todo.pop()
        for r in p["requires"]:
            q = pick(r, f"required by {p['name']}")
            if q and q["name"] not in chosen:
                chosen[q["name"]] = q
                todo.append(q)
    if problems:
        for pr in problems:
            print(pr)
        return 1
    for n in sorted(chosen):
        print(n)
    return 0


def norm_evr(evr):
    """'0:1.0-1' and '1.0-1' are the same version."""
    return evr[2:] if evr.startswith("0:") else evr


def cmd_check_rpm_manifest(manifest, sums, installed, template, url):
    """Check the cache's JSON manifest against the RPM repository (SUMS:
    'sha256 name arch evr path' per .rpm file) and the packages installed in
    the unpacked cache (INSTALLED: 'name arch evr' per package)."""
    problems = []
    try:
        with open(manifest, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print(f"manifest {manifest} unreadable: {e}")
        return 1
    repo = {}
    with open(sums, encoding="utf-8") as f:
        for line in f:
            sha, name, arch, evr, path = line.split()
            repo[sha] = (name, arch, norm_evr(evr), path)
    inst = {}
    with open(installed, encoding="utf-8") as f:
        for line in f:
            name, arch, evr = line.split()
            inst[name] = (arch, norm_evr(evr))
    if data.get("template") != template:
        problems.append(f"manifest template is {data.get('template')!r}, expected {template!r}")
    pkgs = data.get("packages")
    if not isinstance(pkgs, list) or not pkgs:
        problems.append("manifest has no packages list")
        pkgs = []
    seen = {}
    for p in pkgs:
        try:
            name, arch, ver, sha = p["name"], p["arch"], p["version"], p["sha256"]
        except (KeyError, TypeError):
            problems.append(f"manifest entry lacks name/arch/version/sha256: {p!r}")
            continue
        seen[name] = (arch, norm_evr(str(ver)))
        hit = repo.get(sha)
        if hit is None:
            problems.append(f"{name} {ver}: sha256 {sha} is no .rpm file of the repository")
            continue
        if (hit[0], hit[1], hit[2]) != (name, arch, norm_evr(str(ver))):
            problems.append(f"{name} {arch} {ver}: sha256 {sha} is the file of {hit[0]} {hit[1]} {hit[2]} ({hit[3]})")
        fn = p.get("filename")
        if fn and os.path.basename(str(fn)) != os.path.basename(hit[3]):
            problems.append(f"{name}: filename {fn!r}, but the repository's file is {hit[3]}")
    for name, (arch, evr) in sorted(inst.items()):
        if seen.get(name) != (arch, evr):
            problems.append(f"installed {name} {arch} {evr} is not in the manifest as such "
                            f"(manifest: {seen.get(name)})")
    for name in sorted(set(seen) - set(inst)):
        problems.append(f"manifest lists {name} {seen[name]}, which is not installed")
    repos = data.get("repositories")
    if not isinstance(repos, list) or not repos:
        problems.append("manifest has no repositories list")
    elif not [r for r in repos if isinstance(r, dict) and url in str(r.get("url", ""))]:
        problems.append(f"no repository entry with url {url}: {repos!r}")
    for p in problems:
        print(p)
    return 1 if problems else 0


COMMANDS = {
    "rpm-closure": cmd_rpm_closure,
    "check-rpm-manifest": cmd_check_rpm_manifest,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: rpm-helpers.py {" + "|".join(COMMANDS) + "} ARGS...")
    sys.exit(COMMANDS[sys.argv[1]](*sys.argv[2:]))
