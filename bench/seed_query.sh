#!/usr/bin/env bash
# Seed query (T1588.004) and a groupBy over ~1 GB of generated FDR-shaped NDJSON: saker side by side
# with ripgrep on the query's literals (the floor: reading the bytes), DuckDB SQL over read_json, jq.
# The SQL is the same work as the CQL: every matching event is seen before 200 are kept. The CQL
# sorts on _time, which no event has, so the stable sort keeps input order; the generator writes
# increasing timestamps, so ORDER BY timestamp is input order (a bare LIMIT 200 would let DuckDB stop
# scanning early). ripgrep searches the prefilter's literals (the four escaped, case-insensitive
# needles saker derives from the RegObjectName regex).
# Needs: a release build (cargo build --release -p saker-cli), rg, jq, python3 with duckdb.
# Usage: bench/seed_query.sh [SIZE_MB] ; writes bench/results/cql.md
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1024}
DATA=${DATA:-/tmp/saker-bench-fdr-${SIZE_MB}mb.ndjson}
SAKER=${SAKER:-target/release/saker}
OUT=bench/results/cql.md
[ -f "$DATA" ] || python3 bench/cql/gen.py "$DATA" "$SIZE_MB" 1

measure() { # name, command...
  local name=$1; shift
  local log; log=$(mktemp)
  /usr/bin/time -v "$@" > /tmp/saker-bench-out.txt 2> "$log" || true
  local wall rss cpu
  wall=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep "Maximum resident" "$log" | awk '{print $NF}')
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$log")
  echo "$name|$wall|$cpu|$((rss / 1024))|$(wc -l < /tmp/saker-bench-out.txt)"
  rm -f "$log"
}

COLS="{timestamp:'VARCHAR',event_simpleName:'VARCHAR',RegObjectName:'VARCHAR',FileName:'VARCHAR',ComputerName:'VARCHAR',UserName:'VARCHAR',CommandLine:'VARCHAR'}"
DUCK_SEED="SELECT ComputerName, UserName, event_simpleName,
  CASE WHEN regexp_matches(RegObjectName, '(?i)Root\\\\Certificates') THEN 'Trusted Root CA'
       WHEN regexp_matches(RegObjectName, '(?i)CA\\\\Certificates') THEN 'Intermediate CA' ELSE 'Other' END AS StoreType,
  RegObjectName, FileName, CommandLine
FROM read_json('$DATA', format='newline_delimited', columns=$COLS)
WHERE event_simpleName IN ('AsepValueUpdate', 'RegGenericValueUpdate')
  AND regexp_matches(RegObjectName, '(?i)SOFTWARE\\\\(Microsoft\\\\SystemCertificates\\\\(Root|CA)\\\\Certificates|Policies\\\\Microsoft\\\\SystemCertificates\\\\(Root|CA))')
  AND (FileName IS NULL OR NOT regexp_matches(FileName, '(?i)^(svchost\\.exe|lsass\\.exe|wuauclt\\.exe|TrustedInstaller\\.exe|MicrosoftEdgeUpdate\\.exe|MsMpEng\\.exe|SgrmBroker\\.exe)\$'))
ORDER BY CAST(timestamp AS BIGINT)
LIMIT 200"
DUCK_GROUP="SELECT ComputerName, count(*) AS _count FROM read_json('$DATA', format='newline_delimited', columns={ComputerName:'VARCHAR'}) WHERE ComputerName IS NOT NULL GROUP BY 1"
JQ_SEED='select((.event_simpleName == "AsepValueUpdate" or .event_simpleName == "RegGenericValueUpdate")
  and ((.RegObjectName // null) != null)
  and (.RegObjectName | test("SOFTWARE\\\\(Microsoft\\\\SystemCertificates\\\\(Root|CA)\\\\Certificates|Policies\\\\Microsoft\\\\SystemCertificates\\\\(Root|CA))"; "i"))
  and ((.FileName // "") | test("^(svchost\\.exe|lsass\\.exe|wuauclt\\.exe|TrustedInstaller\\.exe|MicrosoftEdgeUpdate\\.exe|MsMpEng\\.exe|SgrmBroker\\.exe)$"; "i") | not))
  | {ComputerName, UserName, event_simpleName, RegObjectName, FileName, CommandLine}'

rows=()
rows+=("$(measure "saker run (seed query)" "$SAKER" run -f detections/T1588.004-cert-store-modification/query.cql --format ndjson "$DATA")")
RG_NEEDLES=(-e 'software\\microsoft\\systemcertificates\\ca\\certificates' -e 'software\\microsoft\\systemcertificates\\root\\certificates'
  -e 'software\\policies\\microsoft\\systemcertificates\\ca' -e 'software\\policies\\microsoft\\systemcertificates\\root')
rows+=("$(measure "ripgrep -i -F on the query's literals" rg -i -F "${RG_NEEDLES[@]}" "$DATA")")
rows+=("$(measure "DuckDB SQL over read_json" python3 -c "import duckdb,sys; [print(r) for r in duckdb.sql(sys.argv[1]).fetchall()]" "$DUCK_SEED")")
rows+=("$(measure "jq" jq -c "$JQ_SEED" "$DATA")")
rows+=("$(measure "saker run groupBy(ComputerName, function=count())" "$SAKER" run "groupBy(ComputerName, function=count())" --format ndjson "$DATA")")
rows+=("$(measure "DuckDB GROUP BY ComputerName" python3 -c "import duckdb,sys; [print(r) for r in duckdb.sql(sys.argv[1]).fetchall()]" "$DUCK_GROUP")")

saker_seed=$(echo "${rows[0]}" | cut -d'|' -f2)
saker_group=$(echo "${rows[4]}" | cut -d'|' -f2)
saker_seed_cpu=$(echo "${rows[0]}" | cut -d'|' -f3)
saker_group_cpu=$(echo "${rows[4]}" | cut -d'|' -f3)
load=$(uptime | sed 's/.*load average: //')
{
  echo "# CQL engine benchmark"
  echo
  echo "Data: $(du -m "$DATA" | cut -f1) MB of generated FDR-shaped NDJSON ($(wc -l < "$DATA") events; \`bench/cql/gen.py $DATA $SIZE_MB 1\`),"
  echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), one run each, page cache warm after generation."
  echo "Command: \`bench/seed_query.sh $SIZE_MB\` (exact commands inside). Ratio = other tool's time / saker's time for the same job (wall, and CPU seconds)."
  echo "Load average when the runs ended (1, 5, 15 min): $load."
  echo
  echo "| job | wall s | cpu s (user+sys) | peak RSS MB | output lines | wall ratio vs saker | cpu ratio vs saker |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for i in "${!rows[@]}"; do
    IFS='|' read -r name wall cpu rss lines <<< "${rows[$i]}"
    base=$saker_seed; cbase=$saker_seed_cpu
    [ "$i" -ge 4 ] && base=$saker_group && cbase=$saker_group_cpu
    ratio=$(python3 -c "print(f'{$wall/$base:.2f}' if $base > 0 else '-')")
    cratio=$(python3 -c "print(f'{$cpu/$cbase:.2f}' if $cbase > 0 else '-')")
    echo "| $name | $wall | $cpu | $rss | $lines | $ratio | $cratio |"
  done
} > "${OUT_TABLE:-$OUT}"
cat "${OUT_TABLE:-$OUT}"
