"""Held-out evaluation of neuro-MRI tissue models on anatomy no zoo model trains on.

Images of the held-out axial slab of the MNI152 template (``anatomy.HELDOUT_Z``):

- ``t1``: the real T1-weighted template itself;
- ``pd`` / ``t2``: spin-echo images simulated from the slab's tissue probabilities with
  ``S = PD (1 - exp(-TR/T1)) exp(-TE/T2)`` per tissue (BrainWeb 1.5 T values), mixed by
  partial volume, plus Rician noise (magnitude of complex Gaussian noise, sigma = 2 % of the
  brightest tissue signal).  PD-weighted: TR 3000 ms, TE 15 ms; T2-weighted: TR 4000 ms, TE 100 ms.

The truth is the slab's tissue label map (argmax of background/CSF/GM/WM probabilities); for
a brain-extraction model (labels background, brain), its CSF, GM and WM together.
"""

from __future__ import annotations

import numpy as np

from synthzoo.generators.physics import anatomy
from synthzoo.metrics import dice_per_class

# BrainWeb 1.5 T: (T1 ms, T2 ms, PD) for CSF, GM, WM
TISSUE = {"csf": (2569.0, 329.0, 1.0), "gray_matter": (833.0, 83.0, 0.86), "white_matter": (500.0, 70.0, 0.77)}
SEQUENCES = {"pd": (3000.0, 15.0), "t2": (4000.0, 100.0)}


def spin_echo(prob: np.ndarray, *, tr: float, te: float, noise: float = 0.02, seed: int = 0) -> np.ndarray:
    """Spin-echo image ``(X, Y, Z)`` from tissue probabilities ``(4, X, Y, Z)`` (bg, CSF, GM, WM)."""
    signal = [pd * (1 - np.exp(-tr / t1)) * np.exp(-te / t2) for t1, t2, pd in TISSUE.values()]
    img = np.tensordot(np.asarray(signal, np.float32), prob[1:], axes=1)
    sigma = noise * max(signal)
    rng = np.random.default_rng(seed)
    re = img + rng.normal(0, sigma, img.shape)
    im = rng.normal(0, sigma, img.shape)
    return np.sqrt(re**2 + im**2).astype(np.float32)


def heldout_images() -> dict[str, np.ndarray]:
    """``{"t1", "pd", "t2"}`` -> ``float32 (X, Y, Z)`` images of the held-out slab at 1 mm."""
    z = anatomy.heldout_z()
    prob = anatomy.tissue_probabilities()[..., z]
    out = {"t1": anatomy.template_t1()[..., z].astype(np.float32)}
    for name, (tr, te) in SEQUENCES.items():
        out[name] = spin_echo(prob, tr=tr, te=te, seed=len(out))
    return out


def evaluate(model, card, *, device: str = "cpu", slices: slice | None = None, tta: bool = True
             ) -> tuple[dict[str, dict[str, float]], dict[str, np.ndarray]]:
    """Dice per class on the held-out slab (or its axial ``slices``) for each image; also
    returns predictions.  ``tta``: mirror averaging (:func:`~synthzoo.zoo.predict.predict_array`)."""
    from synthzoo.zoo.predict import predict_array

    sel = (..., slices if slices is not None else slice(None))
    truth = anatomy.heldout_labels(1.0)[sel]
    names = tuple(card.label_names)
    if names == anatomy.BRAIN_NAMES:  # a brain-extraction model: CSF, GM and WM are brain
        truth = (truth > 0).astype(truth.dtype)
    elif names != tuple(anatomy.LABEL_NAMES):
        raise ValueError(f"{card.name}: held-out evaluation scores tissue ({', '.join(anatomy.LABEL_NAMES)}) "
                         f"or brain-mask ({', '.join(anatomy.BRAIN_NAMES)}) models; this one has {', '.join(names)}")
    metrics, preds = {}, {}
    for name, img in heldout_images().items():
        img = img[sel]
        pred = predict_array(model, card, img, spacing=(1.0, 1.0, 1.0), device=device, tta=tta).argmax(0)
        preds[name] = pred
        metrics[name] = {k: round(v, 4) for k, v in zip(card.label_names, dice_per_class(pred, truth, card.n_classes))}
    return metrics, preds
