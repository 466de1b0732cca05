#!/usr/bin/env python3
"""Picks the hayabusa-rules conversions of a SigmaHQ rule folder, so Hayabusa runs the same rules
as the other tools: a converted rule names its SigmaHQ origin as the last `related: type: derived`
entry. Copies (hard links) the picked files into OUT_DIR, keeping their relative paths.

usage: hayabusa_rules.py SIGMA_RULES_DIR HAYABUSA_RULES_SIGMA_DIR OUT_DIR
  e.g. hayabusa_rules.py ../shared/data/sigma/rules/rules/windows /work/ext/hayabusa-rules/sigma /work/ext/hb-windows
"""
import os, re, sys, shutil

sigma_dir, hb_dir, out = sys.argv[1], sys.argv[2], sys.argv[3]
ID = re.compile(r'^id:\s*["\']?([0-9a-fA-F-]{36})', re.M)


def ymls(d):
    for root, _, files in os.walk(d):
        for f in sorted(files):
            if f.endswith(('.yml', '.yaml')):
                yield os.path.join(root, f)


wanted = set()
for p in ymls(sigma_dir):
    m = ID.search(open(p, encoding='utf-8', errors='replace').read())
    if m:
        wanted.add(m.group(1).lower())


def derived_from(text):
    """Last `- id: X` followed by `type: derived` inside the top-level `related:` block."""
    block = re.search(r'^related:\n((?:[ \t-].*\n)+)', text, re.M)
    if not block:
        return None
    last = None
    for m in re.finditer(r'-\s*id:\s*["\']?([0-9a-fA-F-]{36})["\']?\s*\n\s*type:\s*derived', block.group(1)):
        last = m.group(1).lower()
    return last


picked, covered = 0, set()
shutil.rmtree(out, ignore_errors=True)
for p in ymls(hb_dir):
    src = derived_from(open(p, encoding='utf-8', errors='replace').read())
    if src in wanted:
        dst = os.path.join(out, os.path.relpath(p, hb_dir))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(p, dst)
        picked += 1
        covered.add(src)
print(f'{len(wanted)} SigmaHQ rules; {picked} conversions picked, covering {len(covered)} of them')
