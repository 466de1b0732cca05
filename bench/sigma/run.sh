#!/usr/bin/env bash
# Sigma hunting benchmark: the SigmaHQ Windows rules over an EVTX corpus, saker side by side with
# rsigma, Chainsaw and Hayabusa (each when its binary is given). One line per tool: median wall
# seconds, median CPU seconds (user+sys), peak RSS of the largest run, hits, events/s.
#
# usage: bench/sigma/run.sh CORPUS_DIR [RUNS]
#   CORPUS_DIR  e.g. ../shared/data/evtx, or a ~1 GB copy built with ../shared/tools/build_big_evtx.py
#   RUNS        default 3 (median wall and CPU time reported)
# tools (skipped when unset):
#   SAKER (default target/release/saker)
#   RSIGMA=/path/to/rsigma     its CLI reads one EVTX file per process and matches flat events
#                              (`EventID`, `Image`, ...), so it is given the corpus as one NDJSON file
#                              of flat events (saker's decoding, without @rawstring; made once, not
#                              timed; RSIGMA_NDJSON=FILE reuses one) with its builtin `sysmon`
#                              pipeline; RSIGMA_FLAGS adds flags (e.g. --cross-rule-ac)
#   CHAINSAW=/path/to/chainsaw CHAINSAW_MAPPING=/path/to/mappings/sigma-event-logs-all.yml
#   HAYABUSA=/path/to/hayabusa (run inside its folder) HAYABUSA_RULES=/path/to/hayabusa-rules/rules
# Hits are counted as output lines (one per rule x event for every tool).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${SHARED:-$here/../shared}"
corpus="$(cd "${1:?usage: run.sh CORPUS_DIR [RUNS]}" && pwd)"
runs="${2:-3}"
rules="$shared/data/sigma/rules/rules/windows"
saker="${SAKER:-$here/target/release/saker}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "corpus: $corpus ($(find "$corpus" -iname '*.evtx' | wc -l) files, $(du -sb "$corpus" | cut -f1) bytes)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Events in the corpus, as counted by saker's decoder (the same count for every tool's events/s).
events=$("$saker" events --format ndjson "$corpus" 2>&1 >/dev/null | sed -nE 's/.*read ([0-9]+) events.*/\1/p' | tail -1)
if [[ -z "$events" ]]; then
  events=$("$saker" events --format ndjson "$corpus" 2>/dev/null | wc -l)
fi
echo "events: $events"

measure() { # name, command... (stdout = hits, one per line)
  local name="$1"; shift
  local walls=() cpus=() rss=0 hits=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %U %S %M' -o "$out/time" "$@" > "$out/hits" 2> "$out/err" || true
    read -r wall user sys kb < <(tail -1 "$out/time")
    walls+=("$wall"); cpus+=("$(echo "$user + $sys" | bc)")
    rss=$(( kb > rss ? kb : rss ))
    hits=$(grep -c . "$out/hits" || true)
  done
  local median cpu
  median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-9s runs=%s wall_median_s=%s walls=[%s] cpu_median_s=%s peak_rss_mib=%s hits=%s events_per_s=%s\n' \
    "$name" "$runs" "$median" "${walls[*]}" "$cpu" "$((rss / 1024))" "$hits" \
    "$(echo "$events / $median" | bc)"
  cp "$out/err" "$out/$name.err"
}

measure saker "$saker" hunt -r "$rules" --format ndjson "$corpus"
grep -E '^(rules|events|hits):' "$out/saker.err" | sed 's/^/  saker: /' || true

if [[ -n "${RSIGMA:-}" ]]; then
  ndjson="${RSIGMA_NDJSON:-$out/corpus.ndjson}"
  if [[ ! -s "$ndjson" ]]; then
    "$saker" events --format ndjson "$corpus" 2>/dev/null |
      python3 -c 'import sys, json
for line in sys.stdin:
    d = json.loads(line); d.pop("@rawstring", None); sys.stdout.write(json.dumps(d) + "\n")' > "$ndjson"
  fi
  measure saker-nd "$saker" hunt -r "$rules" --format ndjson "$ndjson"
  # shellcheck disable=SC2086
  measure rsigma "$RSIGMA" engine eval -r "$rules" -p sysmon ${RSIGMA_FLAGS:-} -e "@$ndjson"
fi
if [[ -n "${CHAINSAW:-}" ]]; then
  measure chainsaw "$CHAINSAW" hunt "$corpus" -s "$rules" --mapping "$CHAINSAW_MAPPING" --jsonl -q
fi
if [[ -n "${HAYABUSA:-}" ]]; then
  measure hayabusa "$HAYABUSA" dfir-timeline -d "$corpus" -r "$HAYABUSA_RULES" -w -q -K -N -Q -n -t jsonl -C
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
