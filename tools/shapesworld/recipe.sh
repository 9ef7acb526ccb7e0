#!/usr/bin/env bash
# The exact sequence that produced models/shapesworld/ (see its README). Run from the repository root.
# Every stage is niced, uses 2 threads, checkpoints every few minutes and resumes when re-run.
# Data: the TypeScript generator is called by the tools (scripts/shapesworld-export.ts) into $DATA.
set -euo pipefail
DATA=${DATA:-/tmp/shapesworld-data}
RUNS=${RUNS:-/tmp/shapesworld-runs}
PY="nice -n 19 python3"
mkdir -p "$RUNS"

# 1. End to end from scratch (seed 1234): dense patch + query-cell auxiliaries; schedule spans 2100 steps.
$PY tools/shapesworld/train.py --run $RUNS/p1 --data $DATA --train-count 16000 --val-count 80 \
  --steps 2100 --stop-at 1258 --warmup 150 --lr 1.5e-3 --eval-every 350
# 2. Continue with 3 question rounds per image and foreground-weighted auxiliaries.
$PY tools/shapesworld/train.py --run $RUNS/p2 --init-from $RUNS/p1/ckpt.pt --data $DATA --train-count 16000 \
  --val-count 80 --steps 1500 --stop-at 669 --warmup 50 --lr 1.5e-3 --rounds 3 --fg-weight 0.1 --eval-every 300 --seed 1235
# 3. Vision warm-up on windows (two passes).
$PY tools/shapesworld/pretrain_vision.py --init $RUNS/p2/ckpt.pt --out $RUNS/vis1 --steps 1200 --windows 48 --seed 7
$PY tools/shapesworld/pretrain_vision.py --init $RUNS/vis1/vision.pt --out $RUNS/vis2 --steps 1500 --windows 48 --seed 8
# 4. End to end again from the warmed-up tower.
$PY tools/shapesworld/train.py --run $RUNS/p3 --init-from $RUNS/vis2/vision.pt --data $DATA --train-count 16000 \
  --val-count 80 --steps 1000 --warmup 50 --lr 1e-3 --rounds 3 --fg-weight 0.1 --eval-every 300 --seed 1236
# 5. Held-out test accuracy (500 test images) and export.
$PY tools/shapesworld/train.py --run $RUNS/p3 --data $DATA --train-count 16000 --val-count 80 --test-count 500 --eval-only test
$PY tools/shapesworld/export.py --run $RUNS/p3 --out models/shapesworld --hf-out $RUNS/hf
