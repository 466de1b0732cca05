#!/usr/bin/env bash
# Flat JSON events of an EVTX file or folder, one per line (saker's decoding without @rawstring):
# the input rsigma's `engine eval` matches with its sysmon pipeline.
# usage: SAKER=path/to/saker bench/sigma/flat_events.sh INPUT > events.ndjson
set -euo pipefail
"${SAKER:-saker}" events --format ndjson "$1" 2>/dev/null |
  python3 -c 'import sys, json
for line in sys.stdin:
    d = json.loads(line); d.pop("@rawstring", None); sys.stdout.write(json.dumps(d) + "\n")'
