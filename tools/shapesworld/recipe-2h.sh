#!/usr/bin/env bash
# An attempt at the issue's ~2 h recipe, from scratch on the current world. NOT what produced models/shapesworld/
# (recipe.sh is, in ~13 h). Third version (2026-11-28): a language model first learns its look-ups on symbolic
# rows (stage S); the tower and resampler are then trained with the rows pulled onto that model's symbolic rows
# (stage 1, --symbolic), and the resampler and language model finish on the frozen tower's rows (stage 2).
# Measured on 2 cores in one run (2026-11-28): stages 0a-0c 568 + 215 + 289 s (other work shared the CPU during
# 0b-0c; alone they took 153 + 165 s before), S 36.3 min (symbolic validation 84.2%), 1 16.9 min, 2 35.9 min:
# 107 min in all (about 104 alone). Validation (the training tool's, 150 scenes) 66.1% at stage-2 step 300, 71.1%
# at 600 (colour 100, shape 95.1, count 69.5, position 94.5, relation 96.1, reading 16.8, yes/no 80.2, point 64.7,
# box 20.9); the held-out test through the engine (500 scenes, 4,802 questions): 77.8%, with reading 20.3, box 51.7
# and count 72.3 under 75%. Far from the 90% the shipped model reaches: the rows carry too little of the written
# words, of counts and of exact extents. Earlier versions: 40.3% (first), 57.5% in 112 min (second). Each stage's
# wall-clock goes to $RUNS/times.log. Run from the repository root.
set -euo pipefail
DATA=${DATA:-/tmp/shapesworld-data}
RUNS=${RUNS:-/tmp/shapesworld-runs}
PY=python3
CONFIG='{"v_hidden":128,"v_layers":4,"v_heads":4,"v_ffn":512,"layers":6,"ffn":512}'
mkdir -p "$RUNS"
stage() { local name=$1; shift; local t0=$SECONDS; "$@"; echo "$name $((SECONDS - t0)) s" >> "$RUNS/times.log"; }

# 0. The tower alone, on windows cut from real crops (colour / shape kind / character under each patch):
#    5 x 5 windows with the centre patch supervised, from scratch; then 11 x 11 and 21 x 21 windows with
#    every patch supervised (trained end to end, the tower sits on a colour-only plateau for hundreds of steps).
stage 0a $PY tools/shapesworld/train_patches.py --out $RUNS/p5 --data $DATA --images 1200 --k 5 --steps 1200 --batch 128 \
  --lr 1e-3 --seed 3 --config "$CONFIG"
stage 0b $PY tools/shapesworld/train_patches.py --out $RUNS/p11 --init $RUNS/p5/ckpt.pt --data $DATA --images 600 --stride 4 \
  --k 11 --batch 32 --all-patches 1.0 --steps 400 --lr 5e-4 --seed 4 --log-every 50 --config "$CONFIG"
stage 0c $PY tools/shapesworld/train_patches.py --out $RUNS/p21 --init $RUNS/p11/ckpt.pt --data $DATA --images 500 --stride 8 \
  --k 21 --batch 8 --all-patches 1.0 --steps 500 --lr 5e-4 --seed 5 --log-every 50 --config "$CONFIG"
# S. A language model on symbolic rows (per image row, learned embeddings of its cell's labels: perfect rows, no
#    vision model), one head pulled onto the rows the question names: it learns the look-ups here, quickly.
stage S $PY tools/shapesworld/train_symbolic.py --run $RUNS/symbolic --data $DATA --steps 1000 --attn-sup 1.0 \
  --eval-every 500 --seed 41 --config "$CONFIG"
# 1. Tower + resampler on whole crops: per-patch and per-query (8 x 8 cell map) targets, the resampler's attention
#    pulled onto each cell's object (or its cell), object-centric patch targets, each shape's kind read off its
#    pooled patches, and the rows pulled onto the symbolic rows of the same labels (the checkpoint carries the
#    symbolic language model).
stage 1 $PY tools/shapesworld/train_vision.py --run $RUNS/vision --data $DATA --init-from $RUNS/p21/ckpt.pt --steps 800 \
  --images 6 --warmup 50 --lr 5e-4 --resampler-lr-mult 4 --query-weight 2.0 --content-init-scale 0.25 --seed 11 \
  --query-attn 1.0 --object-aux 0.5 --text-pool 1.0 --shape-pool 1.0 --symbolic $RUNS/symbolic/ckpt.pt \
  --sym-weight 5 --config "$CONFIG"
# 2. The tower frozen; the resampler and the symbolic language model on the image rows of 4000 scenes, one head
#    pulled onto the rows the question names.
stage 2 $PY tools/shapesworld/train_llm.py --vision $RUNS/vision/ckpt.pt --init $RUNS/vision/ckpt.pt --run $RUNS/llm \
  --data $DATA --scenes 4000 --steps 600 --images 16 --questions 12 --lr 1e-3 --warmup 30 --resampler-lr-mult 1.0 \
  --attn-sup 1.0 --eval-every 300 --seed 21
# 4. Export (the held-out test is run through the engine: npx pocketvlm eval --split test --count 500).
$PY tools/shapesworld/export.py --run $RUNS/llm --out $RUNS/export --hf-out $RUNS/hf
