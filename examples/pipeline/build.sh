#!/usr/bin/env bash
# Builds examples/pipeline into OUT (default: out/pipeline): each stage and the block as a wasm
# module of its own (clang-19 --target=wasm32), and the same sources as one native program
# (`native`, built with LTO, which prints run(N) for comparison). Needs clang-19 and lld-19.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../out/pipeline}
mkdir -p "$out"
# 65536 weights (256 KiB): xorshift32, scaled to [-1, 1), exactly representable.
python3 - "$out/weights.h" <<'PY'
import sys
state, values = 2463534242, []
for _ in range(65536):
    state ^= (state << 13) & 0xFFFFFFFF; state ^= state >> 17; state ^= (state << 5) & 0xFFFFFFFF
    values.append(((state >> 8) - (1 << 23)) / (1 << 23))
with open(sys.argv[1], "w") as f:
    f.write("#define WEIGHTS 65536\nstatic const float weights[WEIGHTS] = {\n")
    f.write(",\n".join(repr(v) + "f" for v in values) + "};\n")
PY
flags=(-O2 -ffp-contract=off -I "$out")
for stage in decode model post main; do
    clang-19 --target=wasm32 -nostdlib -Wl,--no-entry "${flags[@]}" -o "$out/$stage.wasm" "$here/$stage.c"
done
# With LTO, so the stages inline into the block as they do in the linked .so.
clang-19 "${flags[@]}" -flto --ld-path=/usr/bin/ld.lld-19 -Wno-unknown-attributes -o "$out/native" \
    "$here/main.c" "$here/decode.c" "$here/model.c" "$here/post.c"
