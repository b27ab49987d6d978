#!/usr/bin/python3
"""Exports the example GPT to ONNX (opset 14 and 17) with the logits PyTorch computes for it.

Run with Debian's python3 (python3-torch 1.13, python3-onnx):
    /usr/bin/python3 examples/gpt/export.py examples/gpt
Writes gpt_opset14.onnx, gpt_opset17.onnx (input `tokens` [2, 32] int64, output `logits`
[2, 32, 256]), tokens.npy (the first two 32-byte windows of the corpus) and logits.npy.
"""
import pathlib
import sys

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from model import GPT, GPTConfig, corpus_tokens  # noqa: E402


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    torch.manual_seed(1234)
    cfg = GPTConfig()
    model = GPT(cfg).eval()
    data = corpus_tokens()
    batch = 2
    tokens = torch.stack([data[i * cfg.context:(i + 1) * cfg.context] for i in range(batch)])
    with torch.no_grad():
        logits = model(tokens)
    np.save(out / "tokens.npy", tokens.numpy())
    np.save(out / "logits.npy", logits.numpy())
    for opset in (14, 17):
        torch.onnx.export(model, (tokens,), str(out / f"gpt_opset{opset}.onnx"),
                          input_names=["tokens"], output_names=["logits"],
                          opset_version=opset,
                          # Training mode keeps every parameter its own initializer: in eval
                          # mode torch merges initializers of equal value (all LayerNorm gains,
                          # all zero biases) into one, which would tie them when training.
                          training=torch.onnx.TrainingMode.TRAINING,
                          do_constant_folding=False)
    print(f"exported to {out}: logits {tuple(logits.shape)}, mean |logit| "
          f"{logits.abs().mean().item():.4f}")


if __name__ == "__main__":
    main()
