"""Writes the Keras fixtures in this directory with Keras itself (run once by hand, not by the tests).

    python -m venv /tmp/kv && /tmp/kv/bin/pip install keras jax scipy
    KERAS_BACKEND=jax /tmp/kv/bin/python tests/data/keras/make_fixtures.py

For every model: NAME.json (``model.to_json()``, pretty-printed) and, in expected.json, the Keras
version and backend that wrote it, ``model.count_params()`` and the shape of every weight. One model
is also saved as a ``.keras`` archive. The tests read these files without Keras.
"""
import json
import os

import keras
from keras import layers

HERE = os.path.dirname(os.path.abspath(__file__))


def models():
    yield "lstm_stack", keras.Sequential([keras.Input((10, 7)), layers.LSTM(5, return_sequences=True),
                                          layers.LSTM(5), layers.Dense(1, activation="sigmoid")])
    yield "gru_mlp", keras.Sequential([keras.Input((None, 7)), layers.GRU(5), layers.Dense(8, activation="relu"),
                                       layers.Dropout(0.5), layers.Dense(1)])
    yield "gru_reset_before", keras.Sequential([keras.Input((None, 7)), layers.GRU(5, reset_after=False),
                                                layers.Dense(1)])
    yield "bidirectional_lstm", keras.Sequential([keras.Input((None, 7)), layers.Bidirectional(layers.LSTM(5)),
                                                  layers.Dense(1, activation="sigmoid")])
    yield "simple_rnn_relu_nobias", keras.Sequential([keras.Input((20, 3)),
                                                      layers.SimpleRNN(4, activation="relu", use_bias=False),
                                                      layers.Dense(2, use_bias=False)])
    yield "mlp", keras.Sequential([keras.Input((784,)), layers.Dense(64, activation="relu"), layers.Dense(64),
                                   layers.Activation("relu"), layers.Dense(10)])
    inputs = keras.Input((None, 6))
    x = layers.LSTM(8, return_sequences=True)(inputs)
    x = layers.LSTM(8)(x)
    outputs = layers.Dense(1, activation="tanh")(x)
    yield "functional_lstm", keras.Model(inputs, outputs)
    yield "unsupported_conv", keras.Sequential([keras.Input((10, 7)), layers.Conv1D(4, 3), layers.LSTM(5),
                                                layers.Dense(1)])
    yield "unsupported_softmax", keras.Sequential([keras.Input((784,)), layers.Dense(10, activation="softmax")])


def main():
    expected = {}
    for name, model in models():
        with open(os.path.join(HERE, f"{name}.json"), "w") as fh:
            json.dump(json.loads(model.to_json()), fh, indent=1)
            fh.write("\n")
        expected[name] = {
            "keras_version": keras.__version__,
            "backend": keras.backend.backend(),
            "count_params": model.count_params(),
            "weights": {w.path: list(w.shape) for w in model.weights},
        }
        if name == "lstm_stack":
            model.save(os.path.join(HERE, f"{name}.keras"))
    with open(os.path.join(HERE, "expected.json"), "w") as fh:
        json.dump(expected, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
