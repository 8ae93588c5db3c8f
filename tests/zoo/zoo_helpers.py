"""Shared helpers of the zoo tests."""

from synthzoo.zoo.card import WeightCard

TINY_KW = dict(dims=2, in_channels=1, out_channels=3, levels=2, features=4, norm="instance")


def tiny_card(sha: str, *, name: str = "tiny-test-2d", urls=()) -> WeightCard:
    return WeightCard(name=name, architecture="unet", arch_kwargs=dict(TINY_KW), task="segmentation",
                      domain="neuro-mri", dims=2, in_channels=1, label_names=("bg", "a", "b"),
                      spacing=1.0, patch_size=(16, 16), weights_file=f"{name}.safetensors",
                      sha256=sha, urls=tuple(urls))
