#!/usr/bin/env bash
# Prompt processing and generation of a compiled model beside another
# runtime's benchmark of the same model file, as ratios from one run.
#
#   bench/vs-runtime.sh [-p 128] [-n 128] [-t 1,2] [-r 3] [--rounds 2] \
#       [--weights FILE] model.so -- OTHER-COMMAND [ARGS...]
#
# model.so is the model compiled with `bitnet-compile FILE --emit=shared`
# (with --weights=file, give its weights file with --weights);
# OTHER-COMMAND is run as given (for example a locally built llama-bench:
# `llama-bench -m FILE -p 128 -n 128 -t 1,2 -r 3`) and must print
# llama-bench's markdown table (columns `threads`, `test`, `t/s`). The two
# alternate for --rounds rounds, so that both see the same machine; each
# row's figure is the mean over the rounds. The ratio is this project's
# tokens per second over the other's: above 1 is faster.
#
# Not a test: machines are shared and noisy; read ratios, not seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
run=${BITNET_RUN:-$root/build/bin/bitnet-run}
p=128 n=128 t=1,2 r=3 rounds=2
weights=()
usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    -p) p=$2; shift 2 ;;
    -n) n=$2; shift 2 ;;
    -t) t=$2; shift 2 ;;
    -r) r=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --weights) weights=("--weights=$2"); shift 2 ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "vs-runtime: unknown option $1" >&2; usage ;;
    *) model=$1; shift ;;
  esac
done
[ -n "${model:-}" ] && [ $# -gt 0 ] || usage
[ -x "$run" ] || { echo "vs-runtime: $run not built (ninja bitnet-run)" >&2; exit 1; }
[ -f "$model" ] || { echo "vs-runtime: no model '$model'" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); $(nproc) cores" \
     "$(grep -o -w -E 'avx2|avx512f|avx512_vnni|avx_vnni|f16c' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "this project: $run $model ${weights[*]} --bench -p $p -n $n -t $t -r $r"
echo "other:        $*"
for ((i = 1; i <= rounds; ++i)); do
  echo "round $i/$rounds ..." >&2
  "$run" "$model" "${weights[@]}" --bench -p "$p" -n "$n" -t "$t" -r "$r" > "$out/ours.$i"
  "$@" > "$out/theirs.$i" 2> "$out/theirs.$i.err" || {
    echo "vs-runtime: the other command failed:" >&2
    tail -5 "$out/theirs.$i.err" >&2
    exit 1
  }
done

python3 - "$out" "$rounds" <<'EOF'
import re, sys, statistics
out, rounds = sys.argv[1], int(sys.argv[2])

def ours(path):
    rows = {}
    for line in open(path):
        m = re.match(r'(\d+)\s+((?:pp|tg)\d+)\s+\d+\s+([\d.]+)\s+\+-', line)
        if m:
            rows[(int(m[1]), m[2])] = float(m[3])
    return rows

def theirs(path):
    rows, header = {}, None
    for line in open(path):
        if not line.startswith('|'):
            continue
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if 'test' in cells and 't/s' in cells:
            header = cells
            continue
        if header is None or set(line.strip()) <= set('|-: '):
            continue
        row = dict(zip(header, cells))
        speed = re.match(r'[\d.]+', row.get('t/s', ''))
        if speed and 'threads' in row:
            rows[(int(row['threads']), row['test'])] = float(speed[0])
    return rows

a = [ours(f'{out}/ours.{i}') for i in range(1, rounds + 1)]
b = [theirs(f'{out}/theirs.{i}') for i in range(1, rounds + 1)]
keys = sorted(set(a[0]) & set(b[0]), key=lambda k: (k[1][:2], k[0]))
if not keys:
    sys.exit('vs-runtime: no common (threads, test) rows; is the other output a llama-bench table?')
print(f"{'threads':>7} {'test':>7} {'this t/s':>9} {'other t/s':>10} {'ratio':>6}   per round")
for k in keys:
    x = [r[k] for r in a if k in r]
    y = [r[k] for r in b if k in r]
    per = ' '.join(f'{u / v:.2f}' for u, v in zip(x, y))
    print(f"{k[0]:>7} {k[1]:>7} {statistics.mean(x):>9.2f} {statistics.mean(y):>10.2f} "
          f"{statistics.mean(x) / statistics.mean(y):>6.2f}   {per}")
EOF
