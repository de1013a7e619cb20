#!/usr/bin/env python3
"""Small data helpers for the vzpkg integration tests (called from lib.sh).

Parsing deb822 files, the JSON manifest and the host's apt sources is easier
and less error-prone here than in awk.  Every subcommand prints its result on
stdout; a check that finds problems prints one line per problem on stdout and
exits 1.
"""

import glob
import hashlib
import json
import os
import re
import socket
import sys


def deb822(path):
    """Yield the stanzas of a deb822 file (Packages, status, *.sources) as
    dicts with lower-case keys; continuation lines are kept joined by '\n'."""
    stanza, key = {}, None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                if stanza:
                    yield stanza
                stanza, key = {}, None
            elif line.startswith("#"):
                continue
            elif line[0] in " \t":
                if key:
                    stanza[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                stanza[key] = value.strip()
    if stanza:
        yield stanza


def cmd_mirrors(suite="bookworm"):
    """URIs of the host's enabled 'deb' sources that carry SUITE, in order."""
    found = []

    def add(uri, suites):
        uri = uri.rstrip("/")
        if suite in suites and uri not in found:
            found.append(uri)

    lists = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
    for path in lists:
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.split("#", 1)[0]
                # Drop the optional "[arch=amd64 signed-by=...]" block.
                line = re.sub(r"\[[^\]]*\]", " ", line)
                words = line.split()
                if len(words) >= 3 and words[0] == "deb":
                    add(words[1], [words[2]])
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for st in deb822(path):
            if st.get("enabled", "yes").lower() == "no":
                continue
            if "deb" not in st.get("types", "").split():
                continue
            for uri in st.get("uris", "").split():
                add(uri, st.get("suites", "").split())
    for uri in found:
        print(uri)
    return 0


def cmd_required(packages):
    """Names of the Priority: required and Essential: yes packages of an index."""
    for st in deb822(packages):
        if st.get("priority") == "required" or st.get("essential") == "yes":
            print(st["package"])
    return 0


def installed(status):
    """{name: (arch, version)} of the packages dpkg calls 'install ok installed'."""
    out = {}
    for st in deb822(status):
        if st.get("status") == "install ok installed":
            out[st["package"]] = (st.get("architecture", ""), st.get("version", ""))
    return out


def cmd_installed(status):
    """'name arch version' for each installed package of a dpkg status file."""
    for name, (arch, ver) in sorted(installed(status).items()):
        print(name, arch, ver)
    return 0


def cmd_check_manifest(manifest, packages, status, template, url):
    """Check the cache's JSON manifest against the repository index and the
    unpacked cache's dpkg status file."""
    problems = []
    try:
        with open(manifest, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print(f"manifest {manifest} unreadable: {e}")
        return 1
    index = {}
    for st in deb822(packages):
        index[(st["package"], st.get("version"))] = st.get("sha256")
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
        seen[name] = (arch, ver)
        want = index.get((name, ver))
        if want is None:
            problems.append(f"{name} {ver}: not in the repository's Packages")
        elif sha != want:
            problems.append(f"{name} {ver}: sha256 {sha} != Packages' {want}")
    for name, (arch, ver) in sorted(installed(status).items()):
        if seen.get(name) != (arch, ver):
            problems.append(f"installed {name} {arch} {ver} is not in the manifest as such "
                            f"(manifest: {seen.get(name)})")
    repos = data.get("repositories")
    if not isinstance(repos, list) or not repos:
        problems.append("manifest has no repositories list")
    else:
        ok = [r for r in repos if isinstance(r, dict) and url in str(r.get("url", ""))
              and r.get("suite") == "bookworm" and r.get("date")]
        if not ok:
            problems.append(f"no repository entry with url {url}, suite bookworm and a date: {repos!r}")
    for p in problems:
        print(p)
    return 1 if problems else 0


def cmd_corrupt(path, mode):
    """Alter a file's bytes in place, keeping (mode 'same') or changing
    (mode 'longer') its size.  The file is rewritten through a new inode so
    that a hard link to the shared .deb cache is not damaged."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if mode == "same":
        mid = len(data) // 2
        for i in range(mid, min(mid + 64, len(data))):
            data[i] ^= 0xFF
    elif mode == "longer":
        data += b"vzpkg-test: bytes appended after indexing\n" * 16
    else:
        print(f"unknown corruption mode {mode}")
        return 2
    tmp = path + ".corrupt"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return 0


def cmd_free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])
    return 0


def cmd_descendants(root_pid):
    """'pid comm' for every live descendant of ROOT_PID."""
    children = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        pid = int(stat.split("/")[2])
        comm = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        state, ppid = fields[0], int(fields[1])
        if state != "Z":
            children.setdefault(ppid, []).append((pid, comm))
    todo = [int(root_pid)]
    while todo:
        for pid, comm in children.get(todo.pop(), []):
            print(pid, comm)
            todo.append(pid)
    return 0


COMMANDS = {
    "mirrors": cmd_mirrors,
    "required": cmd_required,
    "installed": cmd_installed,
    "check-manifest": cmd_check_manifest,
    "corrupt": cmd_corrupt,
    "free-port": cmd_free_port,
    "descendants": cmd_descendants,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: helpers.py {" + "|".join(COMMANDS) + "} ARGS...")
    sys.exit(COMMANDS[sys.argv[1]](*sys.argv[2:]))
