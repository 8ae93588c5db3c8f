import numpy as np
import pytest

from synthzoo.zoo.models import create_model
from synthzoo.zoo.predict import predict_array
from synthzoo.zoo.train import TrainConfig, train

pytestmark = pytest.mark.gpu


def test_train_draws_batches_on_gpu(tmp_path):
    cfg = TrainConfig(size=32, spacing=6.0, steps=4, batch=2, val_every=2, ckpt_every=2,
                      model_kwargs={"levels": 2, "features": 4})
    card = train(cfg, tmp_path / "r", device="cuda", progress=False)
    assert card.training["steps"] == 4 and "CPU" not in card.training["hardware"]


def test_predict_on_gpu_matches_cpu(tiny):
    model = create_model("tiny-test-2d", pretrained=True)
    img = np.random.default_rng(0).random((40, 36)).astype(np.float32)
    cpu = predict_array(model, tiny, img, device="cpu", precision="float32")
    gpu = predict_array(model, tiny, img, device="cuda", precision="float32")
    np.testing.assert_allclose(cpu, gpu, atol=1e-3)
    low = predict_array(model, tiny, img, device="cuda")  # auto: bfloat16 where the GPU has it
    assert low.dtype == np.float32 and np.abs(low - cpu).max() < 0.1
    assert (low.argmax(0) == cpu.argmax(0)).mean() > 0.97
