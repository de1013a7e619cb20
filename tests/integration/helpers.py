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

# ---------------------------------------------------------------------------
# Cache lifecycle tests (test-lc-*.sh).


def cmd_index_packages(packages):
    """'sha256 name arch version' for each stanza of a Packages index."""
    for st in deb822(packages):
        print(st.get("sha256", "-"), st["package"], st.get("architecture", "-"),
              st.get("version", "-"))
    return 0


def cmd_manifest_packages(manifest):
    """'sha256 name arch version' for each package of a cache's JSON manifest."""
    try:
        with open(manifest, encoding="utf-8") as f:
            data = json.load(f)
        for p in data["packages"]:
            print(p["sha256"], p["name"], p["arch"], p["version"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"manifest {manifest} unreadable or not as documented: {e!r}", file=sys.stderr)
        return 1
    return 0


def cmd_status_json(path):
    """Check the output of 'vzpkg status --json' against the documented shape
    and print it one fact a line, sorted:
        TEMPLATE current|stale
        TEMPLATE update NAME ARCH FROM TO
        TEMPLATE new NAME ARCH VERSION
        TEMPLATE removed NAME ARCH VERSION
    When the shape is wrong, print the problems instead and exit 1."""
    problems, facts = [], []
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print(f"not JSON: {e}")
        return 1
    if not isinstance(data, list):
        print(f"top level is {type(data).__name__}, expected an array")
        return 1
    fields = {"updates": ("name", "arch", "from", "to"),
              "new": ("name", "arch", "version"),
              "removed": ("name", "arch", "version")}
    fact = {"updates": "update", "new": "new", "removed": "removed"}
    for obj in data:
        if not isinstance(obj, dict):
            problems.append(f"array element is not an object: {obj!r}")
            continue
        t = obj.get("template")
        if not isinstance(t, str):
            problems.append(f"element without a string 'template': {obj!r}")
            continue
        cur = obj.get("current")
        if not isinstance(cur, bool):
            problems.append(f"{t}: 'current' is {cur!r}, expected true or false")
        else:
            facts.append(f"{t} {'current' if cur else 'stale'}")
        for key, want in fields.items():
            lst = obj.get(key)
            if not isinstance(lst, list):
                problems.append(f"{t}: '{key}' is {lst!r}, expected an array")
                continue
            for e in lst:
                if not isinstance(e, dict) or any(not isinstance(e.get(k), str) for k in want):
                    problems.append(f"{t}: {key} entry {e!r} lacks string fields {want}")
                    continue
                facts.append(" ".join([t, fact[key]] + [e[k] for k in want]))
    if problems:
        for p in problems:
            print(p)
        return 1
    for f in sorted(facts):
        print(f)
    return 0


TAR_TYPES = {b"0": "file", b"\0": "file", b"1": "hardlink", b"2": "symlink", b"3": "chardev",
             b"4": "blockdev", b"5": "dir", b"6": "fifo", b"7": "contig"}


def tar_members(path):
    """{name: {field: value}} and the order of names of an uncompressed tar."""
    import tarfile
    members, order = {}, []
    with open(path, "rb") as src, tarfile.open(fileobj=src, mode="r|") as tf:
        for m in tf:
            digest = "-"
            if m.isreg():
                h = hashlib.sha256()
                f = tf.extractfile(m)
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
                digest = h.hexdigest()
            members[m.name] = {
                "type": TAR_TYPES.get(m.type, repr(m.type)),
                "mode": oct(m.mode), "uid": m.uid, "gid": m.gid,
                "uname": m.uname, "gname": m.gname, "size": m.size,
                "mtime": m.mtime, "link": m.linkname,
                "dev": f"{m.devmajor},{m.devminor}" if m.ischr() or m.isblk() else "",
                "pax": ";".join(f"{k}={v!r}" for k, v in sorted(m.pax_headers.items())),
                "content": digest,
            }
            order.append(m.name)
    return members, order


def cmd_tar_diff(a, b):
    """Explain how two uncompressed tar archives differ: entries only in one,
    per attribute (mtime, mode, owners, pax headers, content, ...) how many
    entries differ with examples, and whether the order differs.  Prints
    nothing and exits 0 when every entry agrees in every attribute."""
    ma, oa = tar_members(a)
    mb, ob = tar_members(b)
    out = []
    only_a = [n for n in oa if n not in mb]
    only_b = [n for n in ob if n not in ma]
    if only_a:
        out.append(f"{len(only_a)} entries only in the first: {', '.join(only_a[:10])}")
    if only_b:
        out.append(f"{len(only_b)} entries only in the second: {', '.join(only_b[:10])}")
    by_field = {}
    for n in oa:
        if n in mb:
            for k, v in ma[n].items():
                if mb[n][k] != v:
                    by_field.setdefault(k, []).append((n, v, mb[n][k]))
    for k, diffs in sorted(by_field.items(), key=lambda kv: -len(kv[1])):
        out.append(f"{k}: differs for {len(diffs)} entries, e.g.:")
        for n, va, vb in diffs[:8]:
            out.append(f"    {n}: {va!r} -> {vb!r}")
    common_a = [n for n in oa if n in mb]
    common_b = [n for n in ob if n in ma]
    if common_a != common_b:
        i = next(i for i, (x, y) in enumerate(zip(common_a, common_b)) if x != y)
        out.append(f"entry order differs from position {i}: {common_a[i:i + 3]} vs {common_b[i:i + 3]}")
    for line in out:
        print(line)
    return 1 if out else 0


COMMANDS.update({
    "index-packages": cmd_index_packages,
    "manifest-packages": cmd_manifest_packages,
    "status-json": cmd_status_json,
    "tar-diff": cmd_tar_diff,
})

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: helpers.py {" + "|".join(COMMANDS) + "} ARGS...")
    sys.exit(COMMANDS[sys.argv[1]](*sys.argv[2:]))
