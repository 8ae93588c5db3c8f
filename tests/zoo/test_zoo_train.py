import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from synthzoo.zoo.card import WeightCard
from synthzoo.metrics import dice_per_class
from synthzoo.zoo.train import TrainConfig, soft_dice_loss, train
from synthzoo.zoo.weights import sha256_file

SRC = str(Path(__file__).resolve().parents[2] / "src")
ARGS = ["--generator", "neuro-mri", "--model", "unet", "--dims", "2", "--size", "32",
        "--spacing", "6", "--steps", "40", "--batch", "1", "--levels", "2", "--features", "4",
        "--ckpt-every", "5", "--val-every", "20", "--threads", "1", "--no-progress", "--device", "cpu"]


def test_soft_dice_and_dice():
    target = torch.tensor([[[[0, 1], [2, 2]]]])
    perfect = torch.nn.functional.one_hot(target[:, 0], 3).movedim(-1, 1).float() * 50
    assert float(soft_dice_loss(perfect, target)) < 1e-3
    assert float(soft_dice_loss(-perfect, target)) > 0.9
    assert dice_per_class(target, target, 3) == [1.0, 1.0, 1.0]
    d = dice_per_class(torch.tensor([0, 0, 2, 2]), torch.tensor([0, 1, 2, 2]), 4)
    assert d[:3] == [2 / 3, 0.0, 1.0] and d[3] != d[3]  # absent class: NaN


def _run(out, env):
    return subprocess.Popen([sys.executable, "-m", "synthzoo", "train", *ARGS, "--out", str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_killed_run_resumes_from_checkpoint(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": SRC, "OMP_NUM_THREADS": "1"}
    ckpt = out / "checkpoints" / "last.ckpt"
    proc = _run(out, env)
    t0 = time.time()
    while not ckpt.exists():
        assert proc.poll() is None, proc.stdout.read()
        assert time.time() - t0 < 120, "no checkpoint written"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "command.txt").exists()  # killed before it finished
    done_before = torch.load(ckpt, map_location="cpu", weights_only=False)["global_step"]
    assert 5 <= done_before < 40
    proc = _run(out, env)
    log, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, log
    assert "resuming from" in log
    steps = [json.loads(l)["step"] for l in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 41))  # every step once, none repeated after the resume
    card = WeightCard.load(out / "neuro-mri-unet-2d.json")
    assert card.training["steps"] == 40 and card.domain == "neuro-mri"
    assert card.label_names == ("background", "csf", "gray_matter", "white_matter")
    assert card.sha256 == sha256_file(out / card.weights_file)
    assert "synthzoo train" in (out / "command.txt").read_text()
    assert torch.load(ckpt, map_location="cpu", weights_only=False)["global_step"] == 40


def test_train_in_process_learns_and_refuses_other_config(tmp_path):
    torch.set_num_threads(1)
    cfg = TrainConfig(size=32, spacing=6.0, steps=24, batch=2, val_every=8, ckpt_every=8, lr=5e-3,
                      model_kwargs={"levels": 2, "features": 8})
    card = train(cfg, tmp_path / "r", device="cpu", progress=False)
    rec = [json.loads(l) for l in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    first = sum(r["loss"] for r in rec[:5]) / 5
    last = sum(r["loss"] for r in rec[-5:]) / 5
    assert last < first  # the loss goes down on synthetic batches
    assert [r["step"] for r in rec if "val_dice" in r] == [8, 16, 24]
    assert set(card.metrics["synthetic_val_dice"]) == {"background", "csf", "gray_matter", "white_matter"}
    with pytest.raises(ValueError, match=r"different configuration \(differs in \['steps'\]\)"):
        train(TrainConfig(**{**cfg.__dict__, "steps": 31}), tmp_path / "r", device="cpu", progress=False)
    with pytest.raises(ValueError, match="--size 33 must be a multiple of 2"):
        train(TrainConfig(**{**cfg.__dict__, "size": 33}), tmp_path / "r2", device="cpu", progress=False)


def _tiny_cfg(**kw):
    return TrainConfig(size=16, spacing=12.0, steps=6, batch=1, val_every=6, n_val=1, ckpt_every=2,
                       lr=5e-3, model_kwargs={"levels": 2, "features": 4}, **kw)


class _Killed(Exception):
    pass


def _record_batches(monkeypatch, seen, stop_at=None):
    """Record (step, image) of every training batch; raise at step ``stop_at`` (a kill)."""
    from synthzoo.zoo.train import SynthTrainer

    monkeypatch.undo()  # wrap the real methods, not a previous recorder
    real_step, real_draw, state = SynthTrainer.training_step, SynthTrainer.draw, {"in_step": False}

    def step(self, batch, batch_idx):
        if stop_at is not None and int(self.global_step) == stop_at:
            raise _Killed("killed")
        state["in_step"] = True
        return real_step(self, batch, batch_idx)

    def draw(self, seed, n):  # the first draw of a step is its batch (a later one: validation)
        image, labels = real_draw(self, seed, n)
        if state["in_step"]:
            state["in_step"] = False
            seen.append((int(self.global_step), image.clone()))
        return image, labels

    monkeypatch.setattr(SynthTrainer, "training_step", step)
    monkeypatch.setattr(SynthTrainer, "draw", draw)


def test_killed_and_resumed_run_equals_an_uninterrupted_one(tmp_path, monkeypatch):
    from safetensors.torch import load_file

    torch.set_num_threads(1)
    cfg = _tiny_cfg()
    whole: list = []
    _record_batches(monkeypatch, whole)
    train(cfg, tmp_path / "whole", device="cpu", progress=False)
    assert [s for s, _ in whole] == list(range(6))
    for (_, a), (_, b) in zip(whole, whole[1:]):
        assert not torch.equal(a, b)  # a new batch at every step

    parts: list = []
    _record_batches(monkeypatch, parts, stop_at=5)
    with pytest.raises(_Killed):
        train(cfg, tmp_path / "cut", device="cpu", progress=False)
    ckpt = torch.load(tmp_path / "cut" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert ckpt["global_step"] == 4 and not (tmp_path / "cut" / "command.txt").exists()
    _record_batches(monkeypatch, parts)
    train(cfg, tmp_path / "cut", device="cpu", progress=False)
    # steps 0-4 before the kill, then 4 (not checkpointed) and 5 again after the resume
    assert [s for s, _ in parts] == [0, 1, 2, 3, 4, 4, 5]
    resumed = parts[:4] + parts[5:]
    for (s, a), (t, b) in zip(whole, resumed):
        assert s == t and torch.equal(a, b), f"step {s}: another batch than the uninterrupted run's"
    assert torch.equal(parts[4][1], parts[5][1])
    w1 = load_file(str(tmp_path / "whole" / "neuro-mri-unet-2d.safetensors"))
    w2 = load_file(str(tmp_path / "cut" / "neuro-mri-unet-2d.safetensors"))
    assert w1.keys() == w2.keys()
    for k in w1:
        torch.testing.assert_close(w2[k], w1[k], rtol=1e-5, atol=1e-6)


def test_checkpoint_write_interrupted_midway_keeps_the_previous_one(tmp_path):
    from types import SimpleNamespace

    from synthzoo.zoo.train import AtomicCheckpoint

    path = tmp_path / "checkpoints" / "last.ckpt"
    cb = AtomicCheckpoint(path, every=1)

    def good(p, weights_only=False):
        torch.save({"global_step": 3, "state": torch.arange(1000)}, p)

    def killed(p, weights_only=False):  # half the bytes written, then the process dies
        import io

        buf = io.BytesIO()
        torch.save({"global_step": 4, "state": torch.arange(1000)}, buf)
        with open(p, "wb") as f:
            f.write(buf.getvalue()[: len(buf.getvalue()) // 2])
        raise KeyboardInterrupt("killed mid-write")

    cb.save(SimpleNamespace(save_checkpoint=good))
    before = path.read_bytes()
    with pytest.raises(KeyboardInterrupt):
        cb.save(SimpleNamespace(save_checkpoint=killed))
    assert path.read_bytes() == before
    assert torch.load(path, weights_only=False)["global_step"] == 3


def test_slab_trains_on_the_middle_plane_of_3d_samples(tmp_path):
    """--slab: each 2D batch is the middle plane of a 3D sample drawn with the same seed (so its
    image holds the light of objects above and below the plane); the card records the slab;
    a run folder written before the option existed still resumes (the option counts as 0)."""
    from synthzoo.zoo.train import SynthTrainer, build

    cfg = TrainConfig(generator="fluorescence", size=16, spacing=0.5, steps=2, batch=2, val_every=2,
                      n_val=1, ckpt_every=2, slab=7, model_kwargs={"levels": 2, "features": 4})
    model, gen = build(cfg)
    image, labels = SynthTrainer(cfg, model, gen).draw(123, 2)
    assert image.shape == (2, 1, 16, 16) and labels.shape == (2, 1, 16, 16)
    g = torch.Generator().manual_seed(123)
    lab3 = gen.default_labels(batch=2, size=(7, 16, 16), dims=3, generator=g)
    s = gen(lab3, generator=g)
    assert torch.equal(image, s.image[:, :, 3]) and torch.equal(labels, s.labels[:, :, 3])
    # the plane is not a 2D sample: light from the objects off the plane reaches it
    off_plane = (s.labels[:, :, 3] == 0) & (s.labels[:, :, [0, 1, 5, 6]] > 0).any(2)
    assert off_plane.any()

    card = train(cfg, tmp_path / "r", device="cpu", progress=False)
    assert card.training["slab"] == 7 and card.patch_size == (16, 16) and card.dims == 2
    for bad, msg in [({"slab": 5, "dims": 3}, "needs --dims 2"), ({"slab": -1}, "--slab must be >= 0"),
                     ({"slab": 5, "generator": "ultrasound", "spacing": 0.6}, None)]:
        c = TrainConfig(**{**cfg.__dict__, **bad})
        if msg is None:
            assert build(c)[1].name == "ultrasound"  # a 2D/3D generator: accepted
        else:
            with pytest.raises(ValueError, match=msg):
                build(c)

    old = tmp_path / "old"
    cfg0 = TrainConfig(**{**cfg.__dict__, "slab": 0, "steps": 2})
    train(cfg0, old, device="cpu", progress=False)
    saved = json.loads((old / "config.json").read_text())
    del saved["slab"]  # as written before the option existed
    (old / "config.json").write_text(json.dumps(saved))
    train(TrainConfig(**{**cfg0.__dict__, "steps": 2}), old, device="cpu", progress=False)  # resumes, no refusal


def test_p_slab_mixes_slab_planes_and_2d_samples(tmp_path):
    """--p-slab: that fraction of batches are middle planes of slabs, the others 2D samples
    drawn with the same seed; the choice is fixed by the batch's seed; bad values refused."""
    import random

    from synthzoo.zoo.train import SynthTrainer, build

    cfg = TrainConfig(generator="fluorescence", size=16, spacing=0.5, steps=2, batch=2, val_every=2,
                      n_val=1, ckpt_every=2, slab=5, p_slab=0.5, model_kwargs={"levels": 2, "features": 4})
    model, gen = build(cfg)
    tr = SynthTrainer(cfg, model, gen)
    kinds = []
    for seed in range(12):
        image, labels = tr.draw(seed, 2)
        g = torch.Generator().manual_seed(seed)
        if random.Random(seed).random() < 0.5:
            s = gen(gen.default_labels(batch=2, size=(5, 16, 16), dims=3, generator=g), generator=g)
            assert torch.equal(image, s.image[:, :, 2]) and torch.equal(labels, s.labels[:, :, 2])
            kinds.append("slab")
        else:
            s = gen(gen.default_labels(batch=2, size=16, dims=2, generator=g), generator=g)
            assert torch.equal(image, s.image) and torch.equal(labels, s.labels)
            kinds.append("2d")
        assert torch.equal(tr.draw(seed, 2)[0], image)  # the same seed, the same batch
    assert 3 <= kinds.count("slab") <= 9
    card = train(cfg, tmp_path / "r", device="cpu", progress=False)
    assert card.training["slab"] == 5 and card.training["p_slab"] == 0.5
    for bad, msg in [({"p_slab": 1.5}, r"--p-slab must be in \[0, 1\]"),
                     ({"p_slab": 0.5, "slab": 0}, "it needs --slab")]:
        with pytest.raises(ValueError, match=msg):
            build(TrainConfig(**{**cfg.__dict__, **bad}))


def test_mix_draws_that_fraction_of_batches_from_other_generators(tmp_path):
    """--mix: a batch comes from a mixed generator for its fraction of the seeds (fixed by the
    seed, the same batch that generator draws itself), else from the run's own; validation
    samples are the run's own; the card says what was mixed; bad mixes are refused."""
    from typer.testing import CliRunner

    from synthzoo.cli import app
    from synthzoo.generators import create
    from synthzoo.zoo.train import SynthTrainer, build

    cfg = TrainConfig(generator="neuro-mri", size=32, spacing=6.0, steps=2, batch=1, val_every=2, n_val=1,
                      ckpt_every=2, mix={"pet": 0.3, "ct": 0.3}, model_kwargs={"levels": 2, "features": 4})
    model, gen = build(cfg)
    tr = SynthTrainer(cfg, model, gen)
    own = {"neuro-mri": gen, "pet": create("pet", spacing=6.0), "ct": create("ct", spacing=6.0)}
    drawn = []
    for seed in range(30):
        image, labels = tr.draw(seed, 1)
        name = next(n for n, g in own.items() if type(g) is type(tr.generator_for(seed)))
        g = torch.Generator().manual_seed(seed)
        s = own[name](own[name].default_labels(batch=1, size=32, dims=2, generator=g), generator=g)
        assert torch.equal(image, s.image) and torch.equal(labels, s.labels), (seed, name)
        drawn.append(name)
    assert all(3 <= drawn.count(n) <= 18 for n in own), drawn
    g = torch.Generator().manual_seed(cfg.seed + 1)
    val = gen(gen.default_labels(batch=1, size=32, dims=2, generator=g), generator=g)
    assert torch.equal(tr.val_set()[0], val.image)
    card = train(cfg, tmp_path / "r", device="cpu", progress=False)
    assert {k: v["fraction"] for k, v in card.training["mix"].items()} == {"pet": 0.3, "ct": 0.3}
    assert card.training["mix"]["pet"]["generator"]["contrast"] == "random"
    for mix, msg in [({"pet": 1.2}, "must each be in"), ({"pet": 0.6, "ct": 0.5}, "sum to less than 1"),
                     ({"em": 0.2}, "its targets"), ({"neuro-mri": 0.2}, "the run's own generator")]:
        with pytest.raises(ValueError, match=msg):
            build(TrainConfig(**{**cfg.__dict__, "mix": mix}))
    res = CliRunner().invoke(app, ["train", "--out", str(tmp_path / "bad"), "--mix", "pet"])
    assert res.exit_code != 0 and "--mix 'pet': give NAME=FRACTION" in res.output
    assert not (tmp_path / "bad").exists()


def test_mix_kwargs_set_the_options_of_the_mixed_generators(tmp_path):
    from typer.testing import CliRunner

    from synthzoo.cli import app
    from synthzoo.zoo.train import build, build_mix

    cfg = TrainConfig(generator="neuro-mri", size=32, spacing=1.5, mix={"pet": 0.2, "ct": 0.2},
                      mix_kwargs={"ct": {"partial_volume": True}})
    _, gen = build(TrainConfig(**{**cfg.__dict__, "mix": {}, "mix_kwargs": {}}))
    pet, ct = build_mix(cfg, gen)
    assert ct.partial_volume is True and ct.synthesis_spacing == 1.0
    assert pet.partial_volume is False and pet.synthesis_spacing == 1.5  # not named: defaults
    for kw, msg in [({"em": {}}, "which --mix does not draw from"), ({"ct": {"voxels": 3}}, "--mix-kwargs ct:"),
                    ({"ct": 3}, "expected a JSON object")]:
        with pytest.raises(ValueError, match=msg):
            build_mix(TrainConfig(**{**cfg.__dict__, "mix_kwargs": kw}), gen)
    res = CliRunner().invoke(app, ["train", "--out", str(tmp_path / "bad"), "--mix", "ct=0.1", "--mix-kwargs", "[1]"])
    assert res.exit_code != 0 and "--mix-kwargs '[1]'" in res.output
    assert not (tmp_path / "bad").exists()


def test_average_from_exports_the_mean_of_the_weights_after_each_later_step(tmp_path, monkeypatch):
    from safetensors.torch import load_file

    from synthzoo.zoo.train import SynthTrainer

    torch.set_num_threads(1)
    seen: dict[int, dict] = {}

    def after_step(self, outputs, batch, batch_idx):  # the weights after each optimizer step
        seen[int(self.global_step)] = {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    monkeypatch.setattr(SynthTrainer, "on_train_batch_end", after_step, raising=False)
    card = train(_tiny_cfg(average_from=3, poly_power=0.0), tmp_path / "avg", device="cpu", progress=False)
    assert sorted(seen) == [1, 2, 3, 4, 5, 6]
    got = load_file(str(tmp_path / "avg" / "neuro-mri-unet-2d.safetensors"))
    assert card.training["average_from"] == 3 and card.training["averaged_steps"] == 3
    assert card.training["poly_power"] == 0.0
    moved = 0
    for k, w in got.items():
        mean = sum(seen[s][k] for s in (4, 5, 6)) / 3
        torch.testing.assert_close(w, mean, rtol=1e-5, atol=1e-6)
        moved += int(not torch.allclose(w, seen[6][k]))
    assert moved, "the exported weights are the last step's, not the mean"


def test_averaged_run_killed_and_resumed_exports_the_same_mean(tmp_path, monkeypatch):
    from safetensors.torch import load_file

    torch.set_num_threads(1)
    cfg = _tiny_cfg(average_from=2)
    train(cfg, tmp_path / "whole", device="cpu", progress=False)
    _record_batches(monkeypatch, [], stop_at=5)
    with pytest.raises(_Killed):  # killed after the checkpoint of step 4, which holds a mean of 2
        train(cfg, tmp_path / "cut", device="cpu", progress=False)
    ckpt = torch.load(tmp_path / "cut" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    (state,) = [v for k, v in ckpt["callbacks"].items() if "WeightAverage" in k]
    assert ckpt["global_step"] == 4 and state["count"] == 2
    monkeypatch.undo()
    card = train(cfg, tmp_path / "cut", device="cpu", progress=False)
    assert card.training["averaged_steps"] == 4
    w1 = load_file(str(tmp_path / "whole" / "neuro-mri-unet-2d.safetensors"))
    w2 = load_file(str(tmp_path / "cut" / "neuro-mri-unet-2d.safetensors"))
    for k in w1:
        torch.testing.assert_close(w2[k], w1[k], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("start", [-1, 6, 9])
def test_average_from_outside_the_run_is_refused_and_the_folder_stays_free(tmp_path, start):
    with pytest.raises(ValueError, match="--average-from"):
        train(_tiny_cfg(average_from=start), tmp_path / "run", device="cpu", progress=False)
    assert not (tmp_path / "run").exists()
    # the corrected command in the same folder runs (a left-over config.json would refuse it)
    card = train(_tiny_cfg(average_from=4), tmp_path / "run", device="cpu", progress=False)
    assert card.training["averaged_steps"] == 2
