#!/usr/bin/env python3
"""SigmaHQ regression tests for any tool: for each regression_data/**/info.yml, runs ONLY that
test's rule on that test's EVTX and compares the number of hits with `match_count`.

  official = count >= match_count (count > 0 when there is none), as SigmaHQ's CI checks it
  exact    = count == match_count (or count > 0 when there is none)

The same rule as saker's integration test (crates/hunt/tests/sigmahq_regression.rs), so the
numbers compare. Hits are the stdout lines that start with '{' (one JSON object per hit).

usage: regression.py --cmd 'TEMPLATE' [--sigma-root DIR] [--rules-root DIR --derived] [--out TSV]
  placeholders: {rule} (rule file, or a folder holding every converted variant with --derived)
                {evtx} {json} (the test's .json rendering) {rule_id} {tmp} (a scratch folder)
  --derived     rules under --rules-root are conversions (hayabusa-rules); a rule belongs to a
                test when its last `related: type: derived` id is the test's rule id
examples:
  regression.py --cmd 'chainsaw hunt {evtx} -s {rule} --mapping M --jsonl'
  regression.py --rules-root /work/ext/hb-windows --derived --cmd 'cd HB && ./hayabusa dfir-timeline \
     -f {evtx} -r {rule} -w -q -K -N -Q -n -D -u -t jsonl -o {tmp}/o.jsonl -C; cat {tmp}/o.jsonl'
"""
import argparse, os, re, shutil, subprocess, sys, tempfile

ap = argparse.ArgumentParser()
ap.add_argument('--cmd', required=True)
ap.add_argument('--sigma-root', default=os.path.join(os.path.dirname(__file__), '../../../shared/data/sigma'))
ap.add_argument('--rules-root')
ap.add_argument('--derived', action='store_true')
ap.add_argument('--out')
ap.add_argument('--timeout', type=int, default=120)
a = ap.parse_args()
root = os.path.abspath(a.sigma_root)
ID = re.compile(r'^id:\s*["\']?([0-9a-fA-F-]{36})', re.M)


def ymls(d):
    for r, _, fs in os.walk(d):
        for f in sorted(fs):
            if f.endswith(('.yml', '.yaml')):
                yield os.path.join(r, f)


def derived_from(text):
    block = re.search(r'^related:\n((?:[ \t-].*\n)+)', text, re.M)
    last = None
    if block:
        for m in re.finditer(r'-\s*id:\s*["\']?([0-9a-fA-F-]{36})["\']?\s*\n\s*type:\s*derived', block.group(1)):
            last = m.group(1).lower()
    return last


rules = {}  # rule id -> [files]
if a.derived:
    for p in ymls(a.rules_root):
        src = derived_from(open(p, encoding='utf-8', errors='replace').read())
        if src:
            rules.setdefault(src, []).append(p)
else:
    for d in ('rules', 'rules-emerging-threats', 'rules-threat-hunting'):
        for p in ymls(a.rules_root or os.path.join(root, 'rules', d)):
            m = ID.search(open(p, encoding='utf-8', errors='replace').read())
            if m:
                rules.setdefault(m.group(1).lower(), []).append(p)
        if a.rules_root:
            break


def field(text, key):
    m = re.search(r'^\s*-?\s*%s:\s*["\']?([^"\'\n]+)' % key, text, re.M)
    return m.group(1).strip() if m else None


cases = []
for p in ymls(os.path.join(root, 'regression_data')):
    if os.path.basename(p) != 'info.yml':
        continue
    text = open(p, encoding='utf-8').read()
    tests = text.split('regression_tests_info:', 1)
    if len(tests) < 2 or not field(tests[1], 'path'):
        continue  # the test entry is commented out in the data
    meta = text.split('rule_metadata:', 1)[1]
    rid = field(meta, 'id').lower()
    mc = field(tests[1], 'match_count')
    cases.append((p, rid, os.path.join(root, field(tests[1], 'path')), int(mc) if mc else None))

official = exact = 0
rows = []
for info, rid, evtx, want in sorted(cases):
    files = rules.get(rid, [])
    tmp = tempfile.mkdtemp()
    if not files:
        n, note = 0, 'rule not found'
    else:
        if len(files) == 1:
            rule = files[0]
        else:  # every converted variant together
            rule = os.path.join(tmp, 'rules')
            os.makedirs(rule)
            for i, f in enumerate(files):
                shutil.copyfile(f, os.path.join(rule, '%d-%s' % (i, os.path.basename(f))))
        cmd = a.cmd.format(rule=rule, evtx=evtx, json=evtx[:-5] + '.json', rule_id=rid, tmp=tmp)
        try:
            p = subprocess.run(cmd, shell=True, capture_output=True, text=True, errors='replace', timeout=a.timeout)
            n = sum(1 for l in p.stdout.splitlines() if l.startswith('{'))
            note = '' if n else (p.stderr.strip().splitlines() or [''])[-1][:200]
        except subprocess.TimeoutExpired:
            n, note = 0, 'timeout'
    shutil.rmtree(tmp, ignore_errors=True)
    ok = n >= (want or 1)
    ex = ok and (want is None or n == want)
    official += ok
    exact += ex
    rows.append((os.path.relpath(os.path.dirname(info), root), rid, want, n, ok, ex, note))
    if not ok:
        print('FAIL %s: %d hits, expected %s %s' % (rows[-1][0], n, want or '>=1', note), file=sys.stderr)
if a.out:
    with open(a.out, 'w') as f:
        f.write('test\trule_id\tmatch_count\thits\tofficial\texact\tnote\n')
        for r in rows:
            f.write('\t'.join(str(x) for x in r) + '\n')
print('%d tests: %d pass (official), %d exact' % (len(rows), official, exact))
