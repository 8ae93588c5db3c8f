"""Training from a generator: a Lightning module that draws each synthetic batch on the
training device, soft-Dice (+ optional cross-entropy) loss, atomic checkpoints and resume.

Batch ``k`` is drawn from a :class:`torch.Generator` seeded with ``(seed, k)``, so a run that
is killed and resumed from its last checkpoint sees the same batches as an uninterrupted one;
the initial weights are drawn from ``seed`` too, so both end with the same weights.
A few fixed synthetic validation samples (seed ``seed + 1``) give a validation Dice every
``val_every`` steps; loss and validation Dice are appended to ``OUT/metrics.jsonl``.  At the end
the run writes ``OUT/NAME.safetensors``, the weight card ``OUT/NAME.json`` and ``OUT/command.txt``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import random
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

import lightning as L

from synthzoo._io import atomic_write, write_text
from synthzoo.zoo.card import WeightCard
from synthzoo.metrics import dice_per_class
from synthzoo.zoo.weights import sha256_file

CKPT = "checkpoints/last.ckpt"


@dataclass(frozen=True)
class TrainConfig:
    generator: str = "neuro-mri"
    model: str = "unet"
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    generator_kwargs: dict[str, Any] = field(default_factory=dict)
    dims: int = 2
    size: int = 96
    spacing: float = 2.0
    steps: int = 1000
    batch: int = 8
    lr: float = 2e-3
    poly_power: float = 0.9
    ce_weight: float = 0.0
    seed: int = 0
    val_every: int = 100
    n_val: int = 8
    ckpt_every: int = 100
    name: str = ""
    task: str = "segmentation"
    license: str = "Apache-2.0"
    baseline: bool = False  # a narrow baseline (one fixed contrast), not domain-randomized
    #: start from these weights (a safetensors file with this sha256, written by an earlier
    #: synthetic-only run) instead of a random initialisation: a curriculum in stages
    init_weights: str = ""
    init_sha256: str = ""
    description: str = ""
    #: 2D models only: draw 3D slabs this many voxels thick and train on their middle plane, so
    #: the images hold the blurred light of objects above and below the plane (what a 2D model
    #: sees in each plane of a 3D stack); 0 draws 2D samples
    slab: int = 0
    #: with ``slab``: the fraction of batches drawn as slabs; the others are 2D samples (in-focus
    #: objects only), so that a dim object in focus is not taken for out-of-focus light
    p_slab: float = 1.0
    #: other generators (name -> fraction of batches) drawn instead of ``generator`` for that
    #: fraction of batches (fixed by each batch's seed), with their default options at the
    #: same spacing; their targets must be ``generator``'s labels (e.g. ``pet`` and ``ct``
    #: tissue for a ``neuro-mri`` tissue model: one network for MRI, PET and CT)
    mix: dict[str, float] = field(default_factory=dict)
    #: options of the ``mix`` generators (name -> keyword arguments, e.g. ``{"ct":
    #: {"partial_volume": true}}``); a generator not named here gets its defaults
    mix_kwargs: dict[str, dict] = field(default_factory=dict)
    #: weight averaging: from this step on, the exported weights are the running mean of the
    #: network's weights after every step (stochastic weight averaging, Izmailov et al., UAI
    #: 2018; averaged densely as SWAD does for domain generalization, Cha et al., NeurIPS
    #: 2021), best with a flat learning rate there (``poly_power`` 0); 0 exports the last weights
    average_from: int = 0

    def card_name(self) -> str:
        return self.name or f"{self.generator}-{self.model}-{self.dims}d"


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """``1 - mean_k Dice_k`` of softmax probabilities (Milletari et al., V-Net, 3DV 2016).

    ``logits (B, K, *spatial)``, ``target int64 (B, 1, *spatial)``; Dice per class over the batch."""
    K = logits.shape[1]
    p = logits.softmax(1)
    y = F.one_hot(target[:, 0], K).movedim(-1, 1).to(p.dtype)
    dims = (0,) + tuple(range(2, p.dim()))
    inter = (p * y).sum(dims)
    denom = p.sum(dims) + y.sum(dims)
    return 1 - ((2 * inter + eps) / (denom + eps)).mean()


class SynthTrainer(L.LightningModule):
    """Trains ``model`` on batches drawn from ``generator`` on ``self.device``."""

    def __init__(self, cfg: TrainConfig, model: torch.nn.Module, generator: torch.nn.Module,
                 metrics_path: Path | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.model = model
        self.gen = generator
        self.mix = torch.nn.ModuleList(build_mix(cfg, generator))
        self.metrics_path = metrics_path
        self.wall_time = 0.0
        self._t0 = time.perf_counter()
        self._val: tuple[torch.Tensor, torch.Tensor] | None = None

    # -- data ---------------------------------------------------------------------------
    def generator_for(self, seed: int) -> torch.nn.Module:
        """The generator of the batch drawn with ``seed``: one of ``cfg.mix`` for its fraction
        of the seeds, else the run's own."""
        if self.cfg.mix:
            u, edge = random.Random(f"mix-{seed}").random(), 0.0
            for gen, p in zip(self.mix, self.cfg.mix.values()):
                edge += p
                if u < edge:
                    return gen
        return self.gen

    def draw(self, seed: int, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Training batch ``seed``: ``batch`` samples of the generator :meth:`generator_for`
        picks for it."""
        return self.sample(self.generator_for(seed), seed, batch)

    def sample(self, gen: torch.nn.Module, seed: int, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator(device=self.device)
        g.manual_seed(seed)
        slab = self.cfg.slab and (self.cfg.p_slab >= 1 or random.Random(seed).random() < self.cfg.p_slab)
        with torch.no_grad():
            if slab:
                size, dims = (self.cfg.slab, self.cfg.size, self.cfg.size), 3
            else:
                size, dims = self.cfg.size, self.cfg.dims
            labels = gen.default_labels(batch=batch, size=size, dims=dims, generator=g)
            s = gen(labels, generator=g)
        if slab:
            mid = self.cfg.slab // 2
            return s.image[:, :, mid].contiguous(), s.labels[:, :, mid].contiguous()
        return s.image, s.labels

    def val_set(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self._val is None or self._val[0].device != self.device:
            self._val = self.sample(self.gen, self.cfg.seed + 1, self.cfg.n_val)  # the run's own generator
        return self._val

    # -- lightning ----------------------------------------------------------------------
    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        step = int(self.global_step)
        image, labels = self.draw(self.cfg.seed * 1_000_003 + step + 7, self.cfg.batch)
        logits = self.model(image)
        loss = soft_dice_loss(logits, labels)
        if self.cfg.ce_weight > 0:
            loss = loss + self.cfg.ce_weight * F.cross_entropy(logits, labels[:, 0])
        self.log("loss", loss.detach(), prog_bar=True, logger=False)
        record: dict[str, Any] = {"step": step + 1, "loss": float(loss.detach())}
        if (step + 1) % self.cfg.val_every == 0 or step + 1 == self.cfg.steps:
            record["val_dice"] = self.validate()
            self.log("val_dice", sum(record["val_dice"][1:]) / max(1, len(record["val_dice"]) - 1),
                     prog_bar=True, logger=False)
        now = time.perf_counter()
        self.wall_time += now - self._t0
        self._t0 = now
        record["wall_s"] = round(self.wall_time, 2)
        if self.metrics_path is not None:
            with open(self.metrics_path, "a") as f:
                f.write(json.dumps(record) + "\n")
        return loss

    @torch.no_grad()
    def validate(self) -> list[float]:
        """Dice per class on the fixed synthetic validation samples."""
        was = self.model.training
        self.model.eval()
        image, labels = self.val_set()
        pred = self.model(image).argmax(1, keepdim=True)
        self.model.train(was)
        return [round(d, 4) for d in dice_per_class(pred, labels, self.model_out())]

    def model_out(self) -> int:
        return int(getattr(self.model, "kwargs", {}).get("out_channels", len(self.gen.label_names)))

    def on_train_start(self) -> None:
        self._t0 = time.perf_counter()

    def configure_optimizers(self):
        opt = torch.optim.Adam(self.model.parameters(), lr=self.cfg.lr)
        total, power = self.cfg.steps, self.cfg.poly_power
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1 - s / total) ** power)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["synthzoo_wall_time"] = self.wall_time
        checkpoint["synthzoo_config"] = dataclasses.asdict(self.cfg)

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self.wall_time = float(checkpoint.get("synthzoo_wall_time", 0.0))
        if self.metrics_path is not None and self.metrics_path.exists():
            # steps after the checkpoint are trained again: drop their records
            done = int(checkpoint.get("global_step", 0))
            lines = [ln for ln in self.metrics_path.read_text().splitlines()
                     if ln.strip() and json.loads(ln)["step"] <= done]
            write_text(self.metrics_path, "".join(ln + "\n" for ln in lines))


class WeightAverage(L.Callback):
    """The running mean of the network's weights after every step past ``start``
    (:attr:`TrainConfig.average_from`).  Saved in the checkpoint with the rest of the run; it
    must come before :class:`AtomicCheckpoint` in the callbacks, so that a checkpoint holds the
    mean up to and including its own step."""

    def __init__(self, start: int) -> None:
        self.start = int(start)
        self.average: dict[str, torch.Tensor] | None = None
        self.count = 0

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step > self.start:
            self.add(pl_module.model)

    @torch.no_grad()
    def add(self, model: torch.nn.Module) -> None:
        state = model.state_dict()
        self.count += 1
        if self.average is None:
            self.average = {k: v.detach().float().clone() for k, v in state.items()}
            return
        for k, v in state.items():
            if v.is_floating_point():
                self.average[k] += (v.detach().float() - self.average[k]) / self.count
            else:  # counters (a batch norm's num_batches_tracked): the latest
                self.average[k] = v.detach().float().clone()

    def averaged(self, model: torch.nn.Module) -> dict[str, torch.Tensor]:
        """The mean in ``model``'s dtypes and devices (at least one step was added: ``build``
        keeps ``average_from`` below ``steps``)."""
        assert self.average is not None, "no step was averaged"
        return {k: self.average[k].to(v.device, v.dtype) for k, v in model.state_dict().items()}

    def state_dict(self) -> dict[str, Any]:
        return {"count": self.count, "average": self.average}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.count, self.average = int(state["count"]), state["average"]


class AtomicCheckpoint(L.Callback):
    """Saves ``OUT/checkpoints/last.ckpt`` every ``every`` steps: written to a temporary name,
    then renamed, so a kill mid-write never leaves a broken checkpoint."""

    def __init__(self, path: Path, every: int) -> None:
        self.path = Path(path)
        self.every = max(1, int(every))

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step % self.every == 0 or trainer.global_step == trainer.max_steps:
            self.save(trainer)

    def save(self, trainer) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        trainer.save_checkpoint(str(tmp), weights_only=False)  # full state: resume needs optimizer + loops
        os.replace(tmp, self.path)


def build(cfg: TrainConfig) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The network and the generator a config describes."""
    from synthzoo.generators import create
    from synthzoo.zoo.models import create_model

    gen = create(cfg.generator, spacing=cfg.spacing, **cfg.generator_kwargs)
    if cfg.dims not in gen.dims:
        raise ValueError(f"generator {cfg.generator!r} supports dims {gen.dims}, got {cfg.dims}")
    if cfg.slab < 0:
        raise ValueError(f"--slab must be >= 0, got {cfg.slab}")
    if not 0 <= cfg.p_slab <= 1:
        raise ValueError(f"--p-slab must be in [0, 1], got {cfg.p_slab}")
    if not 0 <= cfg.average_from < cfg.steps:
        raise ValueError(f"--average-from must be in [0, --steps) (0: no averaging), got {cfg.average_from}")
    if cfg.p_slab < 1 and not cfg.slab:
        raise ValueError("--p-slab is the fraction of slab batches: it needs --slab")
    if cfg.slab and (cfg.dims != 2 or 3 not in gen.dims):
        raise ValueError(f"--slab trains a 2D model on planes of 3D samples: it needs --dims 2 and a "
                         f"generator with 3D samples ({cfg.generator!r} has dims {gen.dims})")
    build_mix(cfg, gen)  # a bad --mix fails here, before anything is trained
    kw = {"dims": cfg.dims, "in_channels": 1, "out_channels": len(gen.label_names), **cfg.model_kwargs}
    with torch.random.fork_rng(devices=[]):  # initial weights from cfg.seed, the caller's RNG untouched
        torch.manual_seed(cfg.seed)
        model = create_model(cfg.model, pretrained=False, **kw)
    if cfg.init_weights:
        from safetensors.torch import load_file

        got = sha256_file(cfg.init_weights)
        if cfg.init_sha256 and got != cfg.init_sha256:
            raise ValueError(f"{cfg.init_weights}: sha256 {got} differs from --init-sha256 {cfg.init_sha256}")
        model.load_state_dict(load_file(cfg.init_weights), strict=True)
    div = getattr(model, "divisor", lambda: 1)()
    if cfg.size % div:
        raise ValueError(f"--size {cfg.size} must be a multiple of {div} for this {cfg.model} "
                         f"(2 ** (levels - 1))")
    return model, gen


def build_mix(cfg: TrainConfig, gen: torch.nn.Module) -> list[torch.nn.Module]:
    """The generators of ``cfg.mix``, checked: known, fractions summing to less than 1, the
    same target labels as ``gen`` and the run's dimensions."""
    from synthzoo.generators import create

    if not cfg.mix:
        return []
    bad = {k: p for k, p in cfg.mix.items() if not 0 < p < 1}
    if bad or sum(cfg.mix.values()) >= 1:
        raise ValueError(f"--mix fractions must each be in (0, 1) and sum to less than 1, got {dict(cfg.mix)}")
    if cfg.generator in cfg.mix:
        raise ValueError(f"--mix {cfg.generator} is the run's own generator")
    stray = sorted(set(cfg.mix_kwargs) - set(cfg.mix))
    if stray:
        raise ValueError(f"--mix-kwargs names {', '.join(stray)}, which --mix does not draw from")
    out = []
    for name in cfg.mix:
        kwargs = cfg.mix_kwargs.get(name, {})
        if not isinstance(kwargs, dict):
            raise ValueError(f"--mix-kwargs {name}: expected a JSON object of options, got {kwargs!r}")
        try:
            other = create(name, spacing=cfg.spacing, **kwargs)
        except TypeError as exc:
            raise ValueError(f"--mix-kwargs {name}: {exc}") from None
        if tuple(other.label_names) != tuple(gen.label_names):
            raise ValueError(f"--mix {name}: its targets {list(other.label_names)} are not "
                             f"{cfg.generator}'s {list(gen.label_names)}")
        if cfg.dims not in other.dims or (cfg.slab and 3 not in other.dims):
            raise ValueError(f"--mix {name}: generator supports dims {other.dims}")
        out.append(other)
    return out


def _check_resume(out: Path, cfg: TrainConfig) -> None:
    saved = out / "config.json"
    if saved.exists():
        # an option added since the run began counts as its default
        old = {**json.loads(json.dumps(dataclasses.asdict(TrainConfig()))), **json.loads(saved.read_text())}
        new = json.loads(json.dumps(dataclasses.asdict(cfg)))
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if diff:
            raise ValueError(f"{out}: holds a run with a different configuration (differs in {diff}); "
                             "use a new --out folder or the same options to resume")
    else:
        out.mkdir(parents=True, exist_ok=True)
        write_text(saved, json.dumps(dataclasses.asdict(cfg), indent=1))


def train(cfg: TrainConfig, out: str | Path, *, device: str = "auto", command: str = "",
          progress: bool = True) -> WeightCard:
    """Train (or resume) into ``out`` and export weights + card; returns the card."""
    from safetensors.torch import save_file

    out = Path(out)
    model, gen = build(cfg)  # a refused option leaves nothing behind: the folder stays free for the corrected run
    _check_resume(out, cfg)
    ckpt = out / CKPT
    resume = ckpt if ckpt.exists() else None
    if resume is None and (out / "metrics.jsonl").exists():
        (out / "metrics.jsonl").unlink()  # a run that never checkpointed starts over
    module = SynthTrainer(cfg, model, gen, out / "metrics.jsonl")
    accel = {"auto": "auto", "cpu": "cpu", "cuda": "gpu", "gpu": "gpu"}.get(device)
    if accel is None:
        raise ValueError(f"unknown device {device!r}; valid: auto, cpu, cuda")
    average = WeightAverage(cfg.average_from) if cfg.average_from else None
    callbacks: list[L.Callback] = [*([average] if average else []), AtomicCheckpoint(ckpt, cfg.ckpt_every)]
    if progress:
        from lightning.pytorch.callbacks import RichProgressBar

        callbacks.append(RichProgressBar())
    trainer = L.Trainer(accelerator=accel, devices=1, max_steps=cfg.steps, max_epochs=-1,
                        logger=False, enable_checkpointing=False, enable_progress_bar=progress,
                        enable_model_summary=False, callbacks=callbacks, num_sanity_val_steps=0,
                        limit_val_batches=0)
    loader = torch.utils.data.DataLoader(range(cfg.steps), batch_size=None)
    if resume is not None:
        print(f"resuming from {resume}", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        warnings.filterwarnings("ignore", ".*resuming from a checkpoint that ended.*", )
        trainer.fit(module, train_dataloaders=loader, ckpt_path=str(resume) if resume else None)
    if trainer.global_step < cfg.steps:
        raise RuntimeError(f"training stopped at step {trainer.global_step} of {cfg.steps}")
    name = cfg.card_name()
    wpath = out / f"{name}.safetensors"
    if average is not None:
        model.load_state_dict(average.averaged(model), strict=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(wpath, lambda p: save_file(state, str(p)))
    val = module.validate()
    hw = (torch.cuda.get_device_name(0) if trainer.strategy.root_device.type == "cuda"
          else f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)")
    card = WeightCard(
        name=name, architecture=cfg.model, arch_kwargs=dict(model.kwargs), task=cfg.task,
        domain=getattr(gen, "domain", cfg.generator), dims=cfg.dims, in_channels=1,
        label_names=tuple(gen.label_names), spacing=cfg.spacing, patch_size=(cfg.size,) * cfg.dims,
        spacing_unit=getattr(gen, "spacing_unit", "mm"),
        normalisation="minmax", weights_file=wpath.name, sha256=sha256_file(wpath),
        license=cfg.license, baseline=cfg.baseline, generator=gen.config(),
        description=cfg.description,
        training={"steps": cfg.steps, "batch": cfg.batch, "lr": cfg.lr, "poly_power": cfg.poly_power,
                  "ce_weight": cfg.ce_weight, "seed": cfg.seed, "loss": "soft-dice" + (" + ce" if cfg.ce_weight else ""),
                  "wall_time_s": round(module.wall_time, 1), "hardware": hw,
                  "anatomy": getattr(gen, "anatomy", None),
                  **({"average_from": cfg.average_from, "averaged_steps": average.count}
                     if average is not None else {}),
                  **({"slab": cfg.slab} if cfg.slab else {}),
                  **({"p_slab": cfg.p_slab} if cfg.slab and cfg.p_slab < 1 else {}),
                  **({"mix": {k: {"fraction": p, "generator": g.config()} for (k, p), g in
                              zip(cfg.mix.items(), module.mix)}} if cfg.mix else {}),
                  **({"init_weights": {"file": Path(cfg.init_weights).name, "sha256": sha256_file(cfg.init_weights)}}
                     if cfg.init_weights else {}),
                  "torch": torch.__version__},
        command=command, metrics={"synthetic_val_dice": dict(zip(gen.label_names, val))},
    )
    card.save(out / f"{name}.json")
    (out / "command.txt").write_text(command + "\n")
    return card
