#!/usr/bin/env bash
# fuzz.sh: runs every libFuzzer target built in BUILD_DIR (fuzz_*, from `make fuzz`) for
# SECONDS each, on a scratch copy of its committed corpus (fuzz/corpus-run/<target>/, git-
# ignored; new inputs land there, the committed corpus stays as it is). A dictionary
# fuzz/<name>.dict is used when present (fuzz_envelope → fuzz/envelope.dict). Exits non-zero
# when any target crashes, leaks, times out or runs out of memory; the reproducer is kept in
# fuzz/corpus-run/artifacts/.
#   usage: scripts/fuzz.sh BUILD_DIR SECONDS
set -uo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 BUILD_DIR SECONDS" >&2
    exit 2
fi
build=$1
seconds=$2
run_root=fuzz/corpus-run
artifacts=$run_root/artifacts
mkdir -p "$artifacts"

mapfile -t targets < <(find "$build" -maxdepth 2 -type f -name 'fuzz_*' -perm -u+x | sort)
if [ ${#targets[@]} -eq 0 ]; then
    echo "fuzz.sh: no fuzz targets in $build (build with -DSNAG_FUZZ=ON)" >&2
    exit 2
fi

failed=()
for bin in "${targets[@]}"; do
    name=$(basename "$bin")
    corpus=$run_root/$name
    rm -rf "$corpus"
    mkdir -p "$corpus"
    if [ -d "fuzz/corpus/$name" ]; then
        cp -R "fuzz/corpus/$name/." "$corpus/"
    fi
    args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix="$artifacts/$name-")
    dict=fuzz/${name#fuzz_}.dict
    if [ -f "$dict" ]; then
        args+=(-dict="$dict")
    fi
    echo "== $name: ${seconds}s on $corpus"
    if ! "$bin" "${args[@]}" "$corpus" >"$run_root/$name.log" 2>&1; then
        echo "!! $name failed; log: $run_root/$name.log, reproducer in $artifacts/" >&2
        tail -n 40 "$run_root/$name.log" >&2
        failed+=("$name")
    else
        grep -E 'stat::number_of_executed_units|stat::new_units_added' "$run_root/$name.log" |
            sed "s/^/   /"
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz.sh: failing targets: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz.sh: ${#targets[@]} target(s) ran ${seconds}s each without failure"
