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

# input(3, seq=5) -> rnn(6, act=relu, bias=false) -> last -> dense(2, bias=false): Tu-He-Tao's vanilla
# ReLU RNN, with a synthetic sample of m = 1000 sequences (entries uniform in [-1, 1]) whose statistics
# are printed for `eval --data`. r is the bound of Tu-He-Tao's Section 3.4.3 (their Remark 6):
# beta_V beta_U B (1/(1 - beta_W)^2 + 1/(1 - beta_W)) when beta_W < 1 and every |x entry| <= B.
rng = np.random.default_rng(2020)
d, n, T, k, m = 3, 6, 5, 2, 1000
rnn = {"1.weight_ih_l0": rng.normal(0, 0.3, (n, d)), "1.weight_hh_l0": rng.normal(0, 0.05, (n, n)),
       "3.weight": rng.normal(0, 0.3, (k, n))}
save_safetensors("examples/rnn_small.safetensors", rnn)
rnn = {name: a.astype(np.float32).astype(np.float64) for name, a in rnn.items()}   # as stored
X = rng.uniform(-1, 1, (T * d, m))                 # one column per sample: the sequence x_1 .. x_T stacked
beta_U, beta_W, beta_V = (np.abs(rnn[t]).sum(axis=1).max() for t in ("1.weight_ih_l0", "1.weight_hh_l0", "3.weight"))
B = np.abs(X).max()
stats = {"x_frob": np.linalg.norm(X), "x_l1": np.abs(X).sum(axis=1).max(),
         "lambda_min": np.linalg.eigvalsh(X @ X.T / m).min(),
         "fisher_rao": beta_V * beta_U * B * (1 / (1 - beta_W) ** 2 + 1 / (1 - beta_W))}
print("rnn_small: --m", m, "--data", ",".join(f"{k_}={v:.4g}" for k_, v in stats.items()), f"(beta_W = {beta_W:.3g})")
