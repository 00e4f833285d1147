#!/usr/bin/env bash
# Regenerates the committed seed corpus fuzz/corpus/<harness>/ with the
# project's own tools: small models from bitnet-model-gen (GGUF in every
# weight format, Hugging Face directories packed and bf16, with and without
# an index, bitnet IR), kernel specs printed by bitnet-kernelgen, and the
# weights-file harness's own valid file. Usage: scripts/fuzz-seeds.sh
# (needs build/ and build-fuzz/ built: scripts/build.sh, scripts/fuzz.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BITNET_BUILD_DIR:-$root/build}/bin
fuzzbin=${BITNET_FUZZ_BUILD_DIR:-$root/build-fuzz}/fuzz
corpus=$root/fuzz/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$corpus" && mkdir -p "$corpus"/{gguf,huggingface,weights-file,kernel-spec,bitnet-ir,tokenizer}

# One shape small enough that each seed stays a few KiB.
shape=(--preset=tiny-b158 --hidden=32 --intermediate=64 --heads=2 --kv-heads=1
       --layers=1 --vocab=16 --context=8 --seed=5)
"$bin/bitnet-model-gen" "${shape[@]}" --format=gguf-f16 -o "$corpus/gguf/gguf-f16.gguf"
# The ternary GGUF types pack rows in blocks of 256 (TQ1_0, TQ2_0) or 128 (I2_S).
for format in gguf-tq2 gguf-tq1 gguf-i2s; do
  "$bin/bitnet-model-gen" "${shape[@]}" --hidden=256 --intermediate=256 --format=$format \
    -o "$corpus/gguf/$format.gguf"
done

marker_model=$'\n#SAFETENSORS#\n'
marker_index=$'\n#INDEX#\n'
for format in hf-packed hf-bf16; do
  "$bin/bitnet-model-gen" "${shape[@]}" --format=$format -o "$work/$format"
  { cat "$work/$format/config.json"; printf '%s' "$marker_model"
    cat "$work/$format/model.safetensors"; } > "$corpus/huggingface/$format"
done
# The packed checkpoint again, its tensors mapped by an index.
python3 - "$work/hf-packed/model.safetensors" > "$work/index.json" <<'PY'
import json, struct, sys
data = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', data[:8])[0]
names = [k for k in json.loads(data[8:8 + n]) if k != '__metadata__']
print(json.dumps({'metadata': {}, 'weight_map': {k: 'model.safetensors' for k in names}}))
PY
{ cat "$work/hf-packed/config.json"; printf '%s' "$marker_model"
  cat "$work/hf-packed/model.safetensors"; printf '%s' "$marker_index"
  cat "$work/index.json"; } > "$corpus/huggingface/hf-packed-index"

# The packed checkpoint with a tokenizer.json (BPE, 12 tokens, byte-less) and
# its tokenizer_config.json with a chat template.
python3 - "$work/tokenizer.json" "$work/tokenizer_config.json" <<'PY'
import json, sys
sp = '\u2581'
tokens = ['<unk>', '<s>', '</s>', sp, 'h', 'e', 'l', 'o', 'll', 'he', 'hell', 'hello']
merges = ['l l', 'h e', 'he ll', 'hell o']
json.dump({'added_tokens': [{'id': i, 'content': t, 'special': True}
                            for i, t in enumerate(tokens[:3])],
           'normalizer': {'type': 'Sequence', 'normalizers': [
               {'type': 'Prepend', 'prepend': sp},
               {'type': 'Replace', 'pattern': {'String': ' '}, 'content': sp}]},
           'pre_tokenizer': None,
           'model': {'type': 'BPE', 'byte_fallback': False, 'unk_token': '<unk>',
                     'vocab': {t: i for i, t in enumerate(tokens)}, 'merges': merges}},
          open(sys.argv[1], 'w'), ensure_ascii=False)
json.dump({'bos_token': '<s>', 'eos_token': '</s>', 'add_bos_token': True,
           'chat_template': "{{ 'User: ' + message['content'] + '<|eot_id|>' }}Assistant: "},
          open(sys.argv[2], 'w'))
PY
{ cat "$work/hf-packed/config.json"; printf '%s' "$marker_model"
  cat "$work/hf-packed/model.safetensors"; printf '\n#TOKENIZER#\n'
  cat "$work/tokenizer.json"; printf '\n#TOKENIZERCONFIG#\n'
  cat "$work/tokenizer_config.json"; } > "$corpus/huggingface/hf-packed-tokenizer"

"$bin/bitnet-model-gen" "${shape[@]}" --tokens=1,2 -o "$corpus/bitnet-ir/model.mlir"
# Every case of the dialect's op and verifier tests, one seed each.
python3 - "$root/test/Dialect/BitNet" "$corpus/bitnet-ir" <<'PY'
import os, sys
src, out = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(src)):
    if not name.endswith('.mlir'):
        continue
    text = open(os.path.join(src, name)).read()
    for i, case in enumerate(text.split('// -----')):
        lines = [l for l in case.splitlines() if not l.lstrip().startswith('//')]
        body = '\n'.join(lines).strip()
        if body:
            open(os.path.join(out, f'{name[:-5]}-{i}.mlir'), 'w').write(body + '\n')
PY

i=0
while read -r spec; do
  i=$((i + 1))
  # shellcheck disable=SC2086
  "$bin/bitnet-kernelgen" --print-spec $spec | sed -n '/^hash=/d; /=/p' > "$corpus/kernel-spec/spec-$i.txt"
done <<'SPECS'
kind=bitlinear target=x86-64-avx2 name=q m=1 n=64 k=128 format=offset2 tile=4x128
kind=bitlinear target=arm64-dotprod name=q m=4 n=96 k=256 format=offset2 tile=4x64 segments=32,32,32
kind=bitlinear target=x86-64-avx2 name=b m=1 n=16 k=64 weight_kind=binary format=bits1 tile=1x8
kind=rmsnorm_quant target=x86-64-avx2 name=n m=2 n=128 eps=1e-5
kind=add_rmsnorm_quant target=cuda name=n m=1 n=128
kind=glu_rmsnorm_quant target=opencl name=n m=1 n=128 activation=silu
kind=rope_qkv target=cuda name=r m=1 heads=4 kv_heads=2 head_dim=16 theta=10000
kind=attention target=x86-64-avx2 name=a m=1 heads=4 kv_heads=2 head_dim=16 context=32
kind=add target=opencl name=r m=1 n=8
SPECS
printf '{"kind": "add", "target": "x86-64-avx2", "name": "r", "m": 1, "n": 8}\n' \
  > "$corpus/kernel-spec/add.json"
printf '{"kind": "bitlinear", "target": "x86-64-avx2", "name": "q", "m": 1, "n": 64, "k": 128, "format": "offset2", "tile": [4, 128]}\n' \
  > "$corpus/kernel-spec/bitlinear.json"

BITNET_FUZZ_WRITE_SEED="$corpus/weights-file/valid.weights" "$fuzzbin/bitnet-fuzz-weights-file"
# The tokenizer harness's two vocabularies as blobs, and text: UTF-8 of 1-4
# bytes, and invalid sequences.
printf x > "$work/one-input"
BITNET_FUZZ_WRITE_SEED="$corpus/tokenizer" "$fuzzbin/bitnet-fuzz-tokenizer" "$work/one-input"
printf 'Hello, world! caf\xc3\xa9 \xf0\x9f\x98\x80 12345 ab ab the\n' > "$corpus/tokenizer/text.txt"
printf '\xff\xfe\x80 lone \xc3 truncated \xed\xa0\x80 surrogate' > "$corpus/tokenizer/invalid-utf8.txt"
du -sh "$corpus"/*
