#!/usr/bin/env python3
"""Sums this machine's fuzz runs (fuzz/logs/*.log, written by run.sh) per
target: runs, executions, seconds, the last coverage and features, and the
committed corpus (files, bytes). Prints Markdown rows for README.md's
campaign table; add them to the cumulative figures of earlier sessions."""

import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
stats = {}
for name in sorted(os.listdir(os.path.join(HERE, "logs"))):
    m = re.match(r"(.+)-\d{8}T\d{6}\.log$", name)
    if not m:
        continue
    text = open(os.path.join(HERE, "logs", name), errors="replace").read()
    s = stats.setdefault(m.group(1), {"runs": 0, "execs": 0, "secs": 0, "cov": "", "ft": "", "fail": 0})
    done = re.findall(r"Done (\d+) runs in (\d+) second", text)
    if done:
        s["runs"] += 1
        s["execs"] += int(done[-1][0])
        s["secs"] += int(done[-1][1])
    cov = re.findall(r"^#\d+\s+\w+\s+cov: (\d+) ft: (\d+)", text, re.M)
    if cov:
        s["cov"], s["ft"] = cov[-1]
    if "panicked" in text or "ERROR: libFuzzer" in text:
        s["fail"] += 1

print("| target | runs | executions | seconds | coverage (edges) | features | corpus files | corpus KiB | failing runs |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for t, s in sorted(stats.items()):
    cdir = os.path.join(HERE, "corpus", t)
    files = os.listdir(cdir) if os.path.isdir(cdir) else []
    size = sum(os.path.getsize(os.path.join(cdir, f)) for f in files)
    print(f"| `{t}` | {s['runs']} | {s['execs']:,} | {s['secs']} | {s['cov']} | {s['ft']} | {len(files)} | {size // 1024} | {s['fail']} |")
