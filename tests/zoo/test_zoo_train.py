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
