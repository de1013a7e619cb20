#!/usr/bin/env python3
"""bench/table.py DIR: one table of every benchmark's ratios, targets and peak
memory, from the JSON files bench/all.sh wrote into DIR (NAME.json each)."""
import json
import os
import sys

# A ratio's name is "A/B"; these say which results A and B are when the
# name does not use the results' own names.
ALIASES = {
    "update vzpkg": "vz-update", "install vzpkg": "vz-install",
    "update downloads vzpkg": None, "install downloads vzpkg": None,
}


def result(results, name):
    if name in ALIASES:
        name = ALIASES[name]
    if name is None:
        return None
    return results.get(name)


def loop_side(ratio_name):
    # ct-mass: "update vzpkg/apt-loop" -> the apt side of that action
    action = ratio_name.split()[0]
    return {"update": "apt-update", "install": "apt-install"}.get(action)


def fmt(v, spec="{:.2f}"):
    return "-" if v is None else spec.format(v)


def rows(bench, data):
    results = data.get("results", {})
    for name, r in data.get("ratios", {}).items():
        if "value" not in r or "/" not in name:
            continue
        left, right = name.split("/", 1)
        a = result(results, left)
        b = results.get(right) or (results.get(loop_side(name)) if right == "apt-loop" else None)
        if left in ALIASES and ALIASES[left] is None:
            continue
        target = r.get("target_max")
        met = r.get("met")
        yield (bench, name, fmt(r["value"], "{:.3f}"), "-" if target is None else "<= %s" % target,
               "-" if met is None else ("yes" if met else "NO"),
               fmt(a and a.get("median_wall_s")), fmt(b and b.get("median_wall_s")),
               fmt(a and a.get("median_peak_rss_mib"), "{:.0f}"), fmt(b and b.get("median_peak_rss_mib"), "{:.0f}"))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench/table.py DIR")
    d = sys.argv[1]
    table = [("benchmark", "ratio of medians", "value", "target", "met", "vzpkg_s", "other_s", "vzpkg_MiB", "other_MiB")]
    for f in sorted(os.listdir(d)):
        if not f.endswith(".json"):
            continue
        with open(os.path.join(d, f)) as fh:
            try:
                data = json.load(fh)
            except ValueError as e:
                print("%s: not JSON (%s); see its .log" % (f, e), file=sys.stderr)
                continue
        table.extend(rows(f[:-5], data))
    widths = [max(len(str(r[i])) for r in table) for i in range(len(table[0]))]
    for r in table:
        print("  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    print("\npeak memory (MiB) is the median over the runs of the largest single process (GNU time %M).")


if __name__ == "__main__":
    main()
