#!/usr/bin/env bash
# Stand-in LLM outputs, to try the results commands (`import gens`, `status --missing`, `scores`;
# docs/user-guide.md, "6. Results") without running a model: for each member of the stored
# cohort $1, writes prompt.txt, raw.txt and parsed.txt into <data root>/gens/<stage>/<gen_id>/.
# The second replicate of each evaluation is left without raw.txt and parsed.txt (not run yet).
# An evaluation's parsed.txt ends in its score, 5 to 9, derived from its gen_id (so every run
# writes the same). Run it in the project's folder, after `cohortdb export $1`; the data root is
# $COHORTDB_DATA_ROOT, else `data`.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 COHORT_ID" >&2
  exit 2
fi
gens=${COHORTDB_DATA_ROOT:-data}/gens
cohortdb query --format tsv --param cohort="$1" \
  "select stage, gen_id, template_id, replicate from membership where cohort_id = :cohort order by ordinal" |
  tail -n +2 |
  while IFS=$'\t' read -r stage gen_id template replicate; do
    dir=$gens/$stage/$gen_id
    mkdir -p "$dir"
    printf 'The %s prompt of %s.\n' "$template" "$gen_id" >"$dir/prompt.txt"
    if [ "$stage" = evaluation ] && [ "$replicate" != 1 ]; then
      continue
    fi
    printf 'The %s output of %s.\n' "$stage" "$gen_id" >"$dir/raw.txt"
    if [ "$stage" = evaluation ]; then
      score=$(($(printf '%s' "$gen_id" | cksum | cut -d' ' -f1) % 5 + 5))
      printf 'The reasoning.\n%s\n' "$score" >"$dir/parsed.txt"
    else
      printf 'The %s output of %s.\n' "$stage" "$gen_id" >"$dir/parsed.txt"
    fi
  done
