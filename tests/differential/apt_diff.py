#!/usr/bin/env python3
"""Differential test: vzpkg's resolution against apt's, on the same repositories.

apt runs on the host with a private configuration, state directory and an
empty dpkg status (`apt-get -s install`, Recommends off), vzpkg runs
`vzpkg resolve OST PKG...`; both install the Essential: yes and
Priority: required packages plus the case's packages, in that order, on an
empty system. The sets (name and version) must be equal; a difference is a
failure unless policy.txt lists it (each line: a package name and why).

Cases: the template's own package list (--template-case) and N package sets
of 1-5 names drawn with a fixed seed from the repositories' Packages
indexes (--random N --seed S). A case both refuse (unresolvable) agrees.
Exit: 0 equal, 1 differences, 77 apt unavailable.
"""

import argparse
import concurrent.futures
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile


def stanzas(path):
    st = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                if st:
                    yield st
                st = {}
            elif line[0] not in " \t" and ":" in line:
                k, _, v = line.partition(":")
                st[k.strip().lower()] = v.strip()
    if st:
        yield st


class Apt:
    """apt with everything private below `root`."""

    def __init__(self, root, sources):
        self.root = root
        for d in ("etc/apt.conf.d", "etc/preferences.d", "etc/sources.list.d", "etc/trusted.gpg.d",
                  "state/lists/partial", "cache/archives/partial", "log"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        open(os.path.join(root, "status"), "w").close()
        with open(os.path.join(root, "etc/sources.list"), "w") as f:
            f.write("\n".join(sources) + "\n")
        self.conf = os.path.join(root, "apt.conf")
        with open(self.conf, "w") as f:
            f.write(f'''Dir "/";
Dir::Etc "{root}/etc";
Dir::Etc::main "apt.conf";
Dir::Etc::parts "apt.conf.d";
Dir::Etc::sourcelist "sources.list";
Dir::Etc::sourceparts "sources.list.d";
Dir::Etc::preferences "preferences";
Dir::Etc::preferencesparts "preferences.d";
Dir::Etc::trusted "trusted.gpg";
Dir::Etc::trustedparts "trusted.gpg.d";
Dir::State "{root}/state";
Dir::State::status "{root}/status";
Dir::Cache "{root}/cache";
Dir::Log "{root}/log";
APT::Architecture "amd64";
APT::Architectures {{ "amd64"; }};
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Sandbox::User "root";
Acquire::Languages "none";
Acquire::GzipIndexes "false";
Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled "false";
Debug::NoLocking "true";
''')
        open(os.path.join(root, "etc/apt.conf"), "w").close()

    def run(self, *args):
        env = dict(os.environ, APT_CONFIG=self.conf, LC_ALL="C")
        return subprocess.run(["apt-get", "-q", *args], env=env, capture_output=True, text=True)

    def update(self):
        r = self.run("update")
        if r.returncode != 0 or "W: " in r.stderr and "not signed" in r.stderr:
            sys.exit(f"apt-get update failed:\n{r.stdout}\n{r.stderr}")

    def packages_files(self):
        return sorted(glob.glob(os.path.join(self.root, "state/lists/*_Packages")))

    def install(self, names):
        r = self.run("-s", "install", *names)
        if r.returncode != 0:
            return None, (r.stdout + r.stderr).strip().splitlines()[-3:]
        got = {}
        for line in r.stdout.splitlines():
            m = re.match(r"^Inst (\S+?)(?::\S+)? \((\S+) ", line)
            if m:
                got[m.group(1)] = m.group(2)
        return got, None


def vzpkg_resolve(args, names):
    cmd = [args.vzpkg, "-q", "-c", args.config, "resolve", args.template, *names]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-1:]
    got = {}
    for line in r.stdout.splitlines():
        name, version, _arch = line.split()
        got[name] = version
    return got, None


def template_sources(args):
    """apt source lines for the template's repositories (first URL of each)."""
    r = subprocess.run([args.vzpkg, "-q", "-c", args.config, "--json", "info", args.template, "repositories"],
                       capture_output=True, text=True, check=True)
    key = f" [signed-by={args.keyring}]" if args.keyring else ""
    return [f"deb{key} {repo['urls'][0]} {repo['suite']} {' '.join(repo['components'])}"
            for repo in json.loads(r.stdout)["repositories"]]


def load_policy(path):
    allowed = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    name, _, why = line.partition(" ")
                    allowed[name] = why.strip()
    return allowed


def compare(label, apt_set, vz_set, allowed):
    """Lines describing the undocumented differences."""
    out = []
    for name in sorted(set(apt_set) | set(vz_set)):
        a, v = apt_set.get(name), vz_set.get(name)
        if a == v or name in allowed:
            continue
        out.append(f"{label}: {name}: apt {a or '-'}, vzpkg {v or '-'}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", action="append", help="a sources.list line for apt "
                    "(default: the template's repositories, signed by --keyring)")
    ap.add_argument("--keyring", help="key file for apt's signed-by (with the template's repositories)")
    ap.add_argument("--vzpkg", required=True)
    ap.add_argument("--config", required=True, help="vzpkg.conf")
    ap.add_argument("--template", required=True, help="OS template whose repositories are the --source lines")
    ap.add_argument("--template-case", action="store_true", help="also compare the template's own list")
    ap.add_argument("--random", type=int, default=0, help="number of seeded random package sets")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--jobs", type=int, default=2, help="cases run at once (apt and vzpkg only read)")
    ap.add_argument("--policy", default=os.path.join(os.path.dirname(__file__), "policy.txt"))
    ap.add_argument("--workdir")
    args = ap.parse_args()
    if not shutil.which("apt-get"):
        print("SKIP: apt-get not available")
        return 77
    work = args.workdir or tempfile.mkdtemp(prefix="vzpkg-aptdiff.")
    apt = Apt(os.path.join(work, "apt"), args.source or template_sources(args))
    apt.update()
    names, base_ess, base_req = set(), set(), set()
    for path in apt.packages_files():
        for st in stanzas(path):
            n = st.get("package")
            if not n or st.get("architecture") not in ("amd64", "all"):
                continue
            names.add(n)
            if st.get("essential") == "yes":
                base_ess.add(n)
            if st.get("priority") == "required":
                base_req.add(n)
    if not names:
        sys.exit("no packages in the repositories' indexes")
    # vzpkg's order: Essential names, then required ones, then the case's
    base = sorted(base_ess) + sorted(base_req - base_ess)
    cases = []
    if args.template_case:
        r = subprocess.run([args.vzpkg, "-q", "-c", args.config, "info", args.template, "packages"],
                           capture_output=True, text=True, check=True)
        cases.append(("template " + args.template, None, r.stdout.split()))
    rng = random.Random(args.seed)
    pool = sorted(names)
    for i in range(args.random):
        cases.append((f"set {i}", [], rng.sample(pool, rng.randint(1, 5))))
    allowed = load_policy(args.policy)
    diffs, agreed, refused = [], 0, 0

    def run_case(case):
        _label, vzargs, pkgs = case
        return (apt.install(base + [p for p in pkgs if p not in base]),
                vzpkg_resolve(args, pkgs if vzargs is not None else []))

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        results = list(ex.map(run_case, cases))
    for (label, _vzargs, pkgs), ((a, aerr), (v, verr)) in zip(cases, results):
        label = f"{label} [{' '.join(pkgs)}]"
        if a is None and v is None:
            refused += 1
            continue
        if a is None or v is None:
            diffs.append(f"{label}: apt {'refuses: ' + ' '.join(aerr) if a is None else 'resolves'}, "
                         f"vzpkg {'refuses: ' + ' '.join(verr) if v is None else 'resolves'}")
            continue
        d = compare(label, a, v, allowed)
        diffs.extend(d)
        agreed += not d
    print(f"{len(cases)} cases: {agreed} equal sets, {refused} refused by both, "
          f"{len(cases) - agreed - refused} with differences")
    for d in diffs:
        print("DIFF " + d)
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
