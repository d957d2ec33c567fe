#!/usr/bin/env bash
# Mutation testing of the time core and the validator with mutmut (not run in CI).
#
#   scripts/mutation.sh                      # join timemodel metrics validate
#   scripts/mutation.sh join metrics         # only these
#   MUTATION_JOBS=2 scripts/mutation.sh join # parallel test runs (default: the number of CPUs)
#
# What it does, so that nothing touches the checkout or its .venv:
#   - mutmut (pinned below) goes into a throwaway virtual environment outside the project
#     ($MUTATION_VENV, default /tmp/dezmap-mutmut-venv) that sees the project's own packages
#     (pytest, pandas, shapely, ...) through a .pth file pointing at .venv's site-packages;
#   - the committed tree (git archive HEAD) is unpacked into a scratch folder
#     ($MUTATION_WORK, default a new /tmp/dezmap-mutation.*) with the data and test fixtures;
#   - for each module, mutmut mutates only that module and runs only the tests that cover it
#     (listed below), then the score (killed / all mutants that ran) is printed and written
#     to $MUTATION_WORK/scores.txt (killed or timed out, over every mutant not skipped, those
#     no test reaches included). `cd $MUTATION_WORK/<module> && $MUTATION_VENV/bin/mutmut
#     browse` shows the survivors.
#
# Needs: git, python 3.11 with venv and pip, and the project's .venv (make test sets it up).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${MUTATION_VENV:-/tmp/dezmap-mutmut-venv}
WORK=${MUTATION_WORK:-$(mktemp -d /tmp/dezmap-mutation.XXXXXX)}
JOBS=${MUTATION_JOBS:-$(nproc)}
MUTMUT_VERSION=3.8.1
MODULES=("$@")
[ ${#MODULES[@]} -eq 0 ] && MODULES=(join timemodel metrics validate)

# the files to mutate and the tests that exercise them, per module
declare -A SOURCES=(
  [join]="geo/join.py"
  [timemodel]="geo/timemodel.py"
  [metrics]="geo/metrics.py"
  [validate]="geo/validate/*"
)
declare -A TESTS=(
  [join]="tests/test_join.py tests/test_timemodel.py tests/test_timemodel_edges.py tests/test_metrics.py"
  [timemodel]="tests/test_timemodel.py tests/test_timemodel_edges.py tests/test_join.py tests/test_metrics.py"
  [metrics]="tests/test_metrics.py tests/test_metrics_edges.py tests/test_timemodel.py tests/test_timemodel_edges.py tests/test_join.py"
  [validate]="tests/test_validate_entry.py tests/test_validate_geometry.py tests/test_validate_zones.py tests/test_validate_records.py tests/test_validate_text.py tests/test_validate_location.py tests/test_validate_files.py tests/test_validate_invalid.py tests/test_geojson.py"
)

site=$("$ROOT/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
base=$("$ROOT/.venv/bin/python" -c 'import sys; print(sys._base_executable)')
if [ ! -x "$VENV/bin/mutmut" ]; then
  "$base" -m venv "$VENV"
  pyver=$("$VENV/bin/python" -c 'import sys; print(f"python{sys.version_info[0]}.{sys.version_info[1]}")')
  echo "$site" > "$VENV/lib/$pyver/site-packages/dezmap-project.pth"
  "$VENV/bin/pip" install --quiet "mutmut==$MUTMUT_VERSION"
fi

echo "mutation testing in $WORK (modules: ${MODULES[*]}; $JOBS parallel runs)"
: > "$WORK/scores.txt"
for module in "${MODULES[@]}"; do
  [ -n "${SOURCES[$module]:-}" ] || { echo "unknown module $module" >&2; exit 2; }
  dir="$WORK/$module"
  rm -rf "$dir" && mkdir -p "$dir"
  git -C "$ROOT" archive HEAD | tar -x -C "$dir"
  {
    echo "[mutmut]"
    echo "source_paths=geo/"
    echo "only_mutate="
    for pattern in ${SOURCES[$module]}; do echo "    $pattern"; done
    echo "pytest_add_cli_args_test_selection="
    for test in ${TESTS[$module]}; do echo "    $test"; done
    echo "pytest_add_cli_args="
    echo "    -p"
    echo "    no:cacheprovider"
    echo "    -q"
    echo "also_copy="
    echo "    data/"
    echo "    docs/"  # tests check that documented bounds match the code
    echo "    tests/"
    echo "    pyproject.toml"
  } > "$dir/setup.cfg"
  started=$(date +%s)
  (
    cd "$dir"
    DEZMAP_REALDATA="${DEZMAP_REALDATA:-$ROOT/../shared/realdata}" \
      "$VENV/bin/mutmut" run --max-children "$JOBS" > mutmut.log 2>&1 || true
    "$VENV/bin/mutmut" export-cicd-stats >> mutmut.log 2>&1 || true
  )
  seconds=$(( $(date +%s) - started ))
  "$VENV/bin/python" - "$dir/mutants/mutmut-cicd-stats.json" "$module" "$seconds" \
    >> "$WORK/scores.txt" <<'EOF'
import json, sys
path, module, seconds = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    s = json.load(open(path))
except OSError:
    print(f"{module}: no result (see mutmut.log)")
    raise SystemExit
# as mutmut's own badge counts it: every mutant that was not skipped, the uncovered included
tested = s["total"] - s["skipped"]
ran = s["killed"] + s["timeout"] + s["survived"] + s["suspicious"] + s["no_tests"]
if tested and not ran:
    print(f"{module}: no mutant was tested: the clean test run failed? (see mutmut.log)")
    raise SystemExit
score = 100 * (s["killed"] + s["timeout"]) / tested if tested else 0.0
print(
    f"{module}: {score:.1f}% killed ({s['killed']} killed, {s['timeout']} timed out, "
    f"{s['survived']} survived, {s['suspicious']} suspicious, {s['no_tests']} not covered "
    f"by the tests run, {s['skipped']} skipped; {s['total']} mutants) in {seconds} s"
)
EOF
  tail -n 1 "$WORK/scores.txt"
done
echo "scores in $WORK/scores.txt"
