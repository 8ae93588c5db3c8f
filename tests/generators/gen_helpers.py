"""Shared helpers for generator tests."""

import torch


def class_values_and_expected(image: torch.Tensor, labels: torch.Tensor, means: torch.Tensor, b: int):
    """For sample ``b``: ``(values, expected)`` per label present, where ``values`` are the
    image voxels of that label and ``expected`` is its drawn mean after min-max normalisation
    over the labels present (what a sample without bias/blur/noise should show)."""
    present = labels[b, 0].unique()
    m = means[b, present]
    expected = (m - m.min()) / (m.max() - m.min())
    for k, e in zip(present.tolist(), expected.tolist()):
        yield image[b, 0][labels[b, 0] == k], e
