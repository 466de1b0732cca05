#!/usr/bin/env bash
# Sigma hunting benchmark: the SigmaHQ Windows rules over an EVTX corpus, saker side by side with
# rsigma, Chainsaw and Hayabusa (each when its binary is given), in one session. One line per
# tool: median wall seconds, median CPU seconds (user+sys), peak RSS of the largest run, hits,
# events/s, and the load average around its runs (the machine may be shared).
#
# usage: bench/sigma/run.sh CORPUS_DIR [RUNS]
#   CORPUS_DIR  e.g. ../shared/data/evtx, or a ~1 GB copy built with ../shared/tools/build_big_evtx.py
#   RUNS        default 3 (median wall and CPU time reported)
# tools (skipped when unset):
#   SAKER (default target/release/saker)
#   RSIGMA=/path/to/rsigma     its CLI matches flat JSON events (`EventID`, `Image`, ...) and has no
#                              EVTX reader that takes a folder, so it is given the corpus as one
#                              NDJSON file of flat events (saker's decoding, without @rawstring;
#                              made once, not timed; RSIGMA_NDJSON=FILE reuses one) with its builtin
#                              `sysmon` pipeline; RSIGMA_FLAGS adds flags. saker is also run on that
#                              same NDJSON file (`saker-nd`) for a like-for-like line.
#   CHAINSAW=/path/to/chainsaw CHAINSAW_MAPPING=/path/to/mappings/sigma-event-logs-all.yml
#                              raw SigmaHQ rules + its mapping; output to stdout (its `-o FILE`
#                              loses the unflushed tail, see ../shared/research/sigma-anchors.md)
#   HAYABUSA=/path/to/hayabusa HAYABUSA_RULES=DIR   run inside HAYABUSA's folder (it needs config/
#                              and rules/config there); DIR = the hayabusa-rules conversions of the
#                              same SigmaHQ rules (bench/sigma/hayabusa_rules.py picks them)
#   ONLY="saker chainsaw"      restricts the tools run (default: every tool given)
# Hits are counted as output lines (one per rule x event for every tool).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${SHARED:-$here/../shared}"
corpus="$(cd "${1:?usage: run.sh CORPUS_DIR [RUNS]}" && pwd)"
runs="${2:-3}"
rules="${RULES:-$shared/data/sigma/rules/rules/windows}"
saker="${SAKER:-$here/target/release/saker}"
only="${ONLY:-saker saker-nd rsigma chainsaw hayabusa}"
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"
[[ -n "${OUT:-}" ]] || trap 'rm -rf "$out"' EXIT

wants() { [[ " $only " == *" $1 "* ]]; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "date: $(date -u +%FT%TZ)  cores: $(nproc)  host load: $(load)"
echo "corpus: $corpus ($(find "$corpus" -iname '*.evtx' | wc -l) files, $(du -sb "$corpus" | cut -f1) bytes)"
echo "rules: $rules ($(find "$rules" -name '*.yml' | wc -l) files)"
# Events in the corpus, as counted by saker's decoder (the same count for every tool's events/s).
events=$("$saker" events --format ndjson "$corpus" 2>&1 >/dev/null | sed -nE 's/.*read ([0-9]+) events.*/\1/p' | tail -1)
if [[ -z "$events" ]]; then
  events=$("$saker" events --format ndjson "$corpus" 2>/dev/null | wc -l)
fi
echo "events: $events"

# measure NAME DIR CMD...: runs CMD in DIR RUNS times (stdout = hits, one per line, or the file
# HITS_FROM when set).
measure() {
  local name="$1" dir="$2"; shift 2
  local walls=() cpus=() rss=0 hits=0 before
  before="$(load)"
  for _ in $(seq "$runs"); do
    (cd "$dir" && /usr/bin/time -f '%e %U %S %M' -o "$out/time" "$@" > "$out/$name.hits" 2> "$out/$name.err") || true
    read -r wall user sys kb < <(tail -1 "$out/time")
    walls+=("$wall"); cpus+=("$(echo "$user + $sys" | bc)")
    rss=$(( kb > rss ? kb : rss ))
    hits=$(grep -c . "${HITS_FROM:-$out/$name.hits}" || true)
  done
  local median cpu
  median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-9s runs=%s wall_median_s=%s walls=[%s] cpu_median_s=%s peak_rss_mib=%s hits=%s events_per_s=%s load_before=[%s] load_after=[%s]\n' \
    "$name" "$runs" "$median" "${walls[*]}" "$cpu" "$((rss / 1024))" "$hits" \
    "$(echo "$events / $median" | bc)" "$before" "$(load)"
}

if wants saker; then
  measure saker "$PWD" "$saker" hunt -r "$rules" --format ndjson "$corpus"
  grep -E '^(rules|events|hits):' "$out/saker.err" | sed 's/^/  saker: /' || true
fi

if [[ -n "${RSIGMA:-}" ]] && { wants rsigma || wants saker-nd; }; then
  ndjson="${RSIGMA_NDJSON:-$out/corpus.ndjson}"
  if [[ ! -s "$ndjson" ]]; then
    "$saker" events --format ndjson "$corpus" 2>/dev/null |
      python3 -c 'import sys, json
for line in sys.stdin:
    d = json.loads(line); d.pop("@rawstring", None); sys.stdout.write(json.dumps(d) + "\n")' > "$ndjson"
  fi
  echo "ndjson: $ndjson ($(wc -l < "$ndjson") events, $(stat -c %s "$ndjson") bytes)"
  if wants saker-nd; then
    measure saker-nd "$PWD" "$saker" hunt -r "$rules" --format ndjson "$ndjson"
  fi
  if wants rsigma; then
    # shellcheck disable=SC2086
    measure rsigma "$PWD" "$RSIGMA" engine eval -r "$rules" -p sysmon ${RSIGMA_FLAGS:-} -e "@$ndjson"
  fi
fi
if [[ -n "${CHAINSAW:-}" ]] && wants chainsaw; then
  measure chainsaw "$PWD" "$CHAINSAW" hunt "$corpus" -s "$rules" --mapping "$CHAINSAW_MAPPING" --jsonl -q
fi
if [[ -n "${HAYABUSA:-}" ]] && wants hayabusa; then
  # Hayabusa refuses to overwrite -o, and prints to the terminal otherwise: a fresh file per run.
  cat > "$out/hayabusa.sh" <<EOF
#!/usr/bin/env bash
rm -f "$out/hayabusa.jsonl"
exec "$HAYABUSA" dfir-timeline -d "$corpus" -r "$HAYABUSA_RULES" -w -q -K -N -Q -n -t jsonl -o "$out/hayabusa.jsonl" -C
EOF
  chmod +x "$out/hayabusa.sh"
  HITS_FROM="$out/hayabusa.jsonl" measure hayabusa "$(dirname "$HAYABUSA")" "$out/hayabusa.sh"
fi
echo "load after: $(load)"
