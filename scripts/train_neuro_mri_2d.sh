#!/usr/bin/env bash
# Trains the bundled 2D neuro-MRI tissue model (background/CSF/GM/WM) on the CPU from the
# `neuro-mri` generator only (training anatomy: the MNI152 template without the held-out slab).
# Resumable: run it again with the same OUT to continue from the last checkpoint.
# Then: python scripts/figure_neuro_mri_2d.py OUT  (held-out evaluation, figure, bundling).
set -euo pipefail
OUT=${1:-runs/neuro-mri-tissue-unet-2d}
export OMP_NUM_THREADS=1
cd "$(dirname "$0")/.."
PYTHONPATH=src${PYTHONPATH:+:$PYTHONPATH} python -m synthzoo train \
  --generator neuro-mri --model unet --dims 2 --size 96 --spacing 2 \
  --steps 6000 --batch 8 --lr 2e-3 --levels 4 --features 24 --norm instance \
  --seed 0 --val-every 250 --ckpt-every 250 \
  --name neuro-mri-tissue-unet-2d --device cpu --threads 1 --out "$OUT"
