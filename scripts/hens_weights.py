"""Evaluate a HyperEnsemble fit's exported weights (format "hyperensemble-weights/1", docs/method.md).

    python3 hens_weights.py weights.json rows.json [replica]

rows.json: a list of raw feature rows (e.g. [[x, ln x], ...]). Prints the replica's outputs per row
as JSON ([rows][F]). Standard library only; the TypeScript twin is packages/platform/src/fitWeights.ts.
"""
import json
import math
import sys

ACTIVATIONS = {
    "tanh": math.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "relu": lambda z: max(z, 0.0),
    "linear": lambda z: z,
}


def evaluate(weights, replica, rows):
    if weights.get("format") != "hyperensemble-weights/1":
        raise ValueError("format: not hyperensemble-weights/1")
    rep = weights["replicas"][replica]
    act = ACTIVATIONS[weights["activation"]]
    mean, sd = weights["inputScaling"]["mean"], weights["inputScaling"]["sd"]
    out = []
    for raw in rows:
        a = [(v - mean[j]) / sd[j] for j, v in enumerate(raw)]
        layers = rep["layers"]
        for l, layer in enumerate(layers):
            last = l == len(layers) - 1
            z = [
                b + sum(a[i] * layer["kernel"][i][k] for i in range(len(a)))
                for k, b in enumerate(layer["bias"])
            ]
            a = z if last else [act(v) for v in z]
        if "alpha" in rep:
            x = raw[weights["xFeature"]]
            a = [
                h * math.exp(rep["alpha"][f] * math.log(x) + rep["beta"][f] * math.log(1 - x))
                for f, h in enumerate(a)
            ]
        out.append(a)
    return out


if __name__ == "__main__":
    with open(sys.argv[1]) as fw, open(sys.argv[2]) as fr:
        w, rows = json.load(fw), json.load(fr)
    print(json.dumps(evaluate(w, int(sys.argv[3]) if len(sys.argv) > 3 else 0, rows)))
