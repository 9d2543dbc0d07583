"""Make the small weight files of the README's generalization examples (fixed seed, float32).

Run from the repository root: ``python examples/make_weights.py``. Names and shapes are those of
``vcbound params ARCH --json`` (torch layout, prefixed by the layer's position).
"""
import numpy as np

from vcbound.weights import save_safetensors

rng = np.random.default_rng(12)
d, n = 3, 4        # input(3, seq=T) -> lstm(4) -> last -> dense(1)
lstm = {
    "1.weight_ih_l0": rng.normal(0, 0.5, (4 * n, d)),
    "1.weight_hh_l0": rng.normal(0, 0.5, (4 * n, n)),
    "1.bias_ih_l0": rng.normal(0, 0.1, (4 * n,)),
    "1.bias_hh_l0": rng.normal(0, 0.1, (4 * n,)),
    "3.weight": rng.normal(0, 0.5, (1, n)),
    "3.bias": rng.normal(0, 0.1, (1,)),
}
save_safetensors("examples/lstm_small.safetensors", lstm)
mlp = {    # input(8) -> dense(16, act=relu, bias=false) -> dense(3, bias=false)
    "1.weight": rng.normal(0, 1 / np.sqrt(8), (16, 8)),
    "2.weight": rng.normal(0, 1 / np.sqrt(16), (3, 16)),
}
save_safetensors("examples/mlp_small.safetensors", mlp)
