#!/usr/bin/env bash
# Trains one zoo model from its recipe below, on the CPU, from generator output only.
# Resumable: run it again with the same OUT to continue from the last checkpoint.
#   bash scripts/train_model.sh NAME [OUT]      (OUT defaults to runs/NAME)
#   bash scripts/train_model.sh --list
# A narrow baseline uses exactly its randomized twin's recipe and steps, with one fixed contrast.
# Threads: THREADS (default 1, so two recipes can train side by side on 2 cores).
# Then: python scripts/finish_model.py OUT (held-out evaluation, card metrics, bundling).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
THREADS=${THREADS:-1}
NEURO="--generator neuro-mri --model unet --dims 2 --size 128 --spacing 1 --batch 8 --lr 2e-3 --ce-weight 0.5 --levels 5 --features 16 --norm instance --seed 0 --val-every 250 --ckpt-every 250"
declare -A RECIPE=(
  [neuro-mri-tissue-unet-2d]="$NEURO --steps 4000 --task tissue-segmentation --description 'Brain tissue (CSF, GM, WM) of any MRI contrast, CT or PET; 2D axial slices at 1 mm; trained on synthseg-20 subjects 01-15 with random contrasts'"
  [neuro-mri-tissue-unet-2d-t1w]="$NEURO --steps 4000 --task tissue-segmentation --baseline --generator-kwargs '{\"contrast\": \"t1w\"}' --description 'Narrow baseline: the same network, steps and anatomy trained on one fixed T1-weighted contrast'"
)
if [ "${1:-}" = "--list" ]; then printf '%s\n' "${!RECIPE[@]}" | sort; exit 0; fi
NAME=${1:?usage: train_model.sh NAME [OUT] (--list for names)}
OUT=${2:-runs/$NAME}
[ -n "${RECIPE[$NAME]:-}" ] || { echo "unknown recipe $NAME; valid: ${!RECIPE[*]}" >&2; exit 2; }
export OMP_NUM_THREADS=$THREADS
eval "python -m synthzoo train ${RECIPE[$NAME]} --name $NAME --device cpu --threads $THREADS --no-progress --out $OUT"
