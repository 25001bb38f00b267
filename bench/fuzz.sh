#!/usr/bin/env bash
# Long fuzzing run: each Jazzer fuzz test (the @FuzzTest classes, *FuzzTest) fuzzed for SECONDS in a JVM of its own,
# starting from its seeds (src/test/resources/.../<Class>Inputs/<method>/) and from the corpus earlier runs grew
# (.cifuzz-corpus/, not committed). A finding fails that target and is written next to its seeds as crash-<sha1>:
# rerun with -Djazzer.fuzz=0 to replay it, fix the bug, rename the file for what it proves and commit it.
# usage: bench/fuzz.sh [SECONDS=300] [TARGET...]   (targets: simple class names; default: all five)
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(GitHubPayloadsFuzzTest AppSpecParserFuzzTest KustomizationFileFuzzTest PreviewSlugFuzzTest
    ImageTagTemplateFuzzTest)
fi
out="target/fuzz/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
./mvnw -q -o test-compile || exit 1
printf '%-28s %10s %12s %8s %9s %s\n' target seconds executions exec/s corpus finding | tee "$out/summary.txt"
failed=0
for target in "${targets[@]}"; do
  log="$out/$target.log"
  started=$(date +%s)
  # The libFuzzer flags come last on its command line and so win over @FuzzTest's limits (-runs=-1: no count);
  # -seed=0 (a new seed each run) replaces the suite's fixed one, as flags given here win over the pom's.
  ./mvnw -o surefire:test@fuzz -Dtest="$target" -Djazzer.fuzz=1 \
    -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-seed=0 -Djazzer.internal.arg.2=-max_total_time="$seconds" \
    -Djazzer.internal.arg.3=-print_final_stats=1 -Djazzer.internal.arg.4=-runs=-1 >"$log" 2>&1
  status=$?
  took=$(( $(date +%s) - started ))
  runs=$(grep -oE 'stat::number_of_executed_units:\s+[0-9]+' "$log" | tail -1 | awk '{print $2}')
  rate=$(grep -oE 'stat::average_exec_per_sec:\s+[0-9]+' "$log" | tail -1 | awk '{print $2}')
  corpus=$(grep -oE '#[0-9]+\s+(DONE|pulse|NEW|REDUCE).*corp: [0-9]+' "$log" | tail -1 | grep -oE 'corp: [0-9]+' | awk '{print $2}')
  finding=none
  if [ $status -ne 0 ]; then
    finding=$(grep -oE 'Test unit written to \S+' "$log" | tail -1 | sed 's/Test unit written to //')
    finding=${finding:-"failed, see $log"}
    failed=1
  fi
  printf '%-28s %10s %12s %8s %9s %s\n' "$target" "$took" "${runs:-?}" "${rate:-?}" "${corpus:-?}" "$finding" \
    | tee -a "$out/summary.txt"
done
echo "logs: $out"
exit $failed
