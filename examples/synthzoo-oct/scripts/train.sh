#!/usr/bin/env bash
# Trains the two OCT models of this package on the CPU from generator output only
# (resumable: run again with the same OUT to continue from the last checkpoint).
#   bash scripts/train.sh NAME [OUT]     NAME: oct-retina-layers-unet-2d or oct-retina-layers-unet-2d-fixed
# Needs synthzoo and this package installed (the generator is found by its entry point).
# Then: python scripts/bundle.py OUT (copies the weights and the card into the package).
# 0.35 s/step measured (patch 64, batch 8, 1 thread, both cores busy): 1000 steps ~ 6 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-1}
export OMP_NUM_THREADS=$THREADS
COMMON="--generator oct-retina --model unet --dims 2 --size 64 --spacing 0.01 --batch 8 --lr 2e-3 --ce-weight 0.5 --levels 4 --features 16 --norm instance --seed 0 --val-every 250 --ckpt-every 100 --steps 1000 --task retinal-layer-segmentation"
NAME=${1:?usage: train.sh NAME [OUT]}
OUT=${2:-runs/$NAME}
case "$NAME" in
  oct-retina-layers-unet-2d)
    exec synthzoo train $COMMON --name "$NAME" --device cpu --threads "$THREADS" --no-progress --out "$OUT" \
      --description "Vitreous, inner retina, outer retina and choroid/sclera in OCT B-scans of any device; 2D at 10 um; trained on random layered retinas with random reflectivity, speckle, attenuation and noise" ;;
  oct-retina-layers-unet-2d-fixed)
    exec synthzoo train $COMMON --name "$NAME" --device cpu --threads "$THREADS" --no-progress --out "$OUT" \
      --baseline --generator-kwargs '{"contrast": "fixed"}' \
      --description "Narrow baseline: the same network, steps and retinas imaged by one fixed OCT device" ;;
  *) echo "unknown model $NAME; valid: oct-retina-layers-unet-2d, oct-retina-layers-unet-2d-fixed" >&2; exit 2 ;;
esac
