#!/usr/bin/python3
"""Exports the example GPT to ONNX with the corpus and the outputs PyTorch computes for it.

Run with Debian's python3 (python3-torch 1.13, python3-onnx):
    /usr/bin/python3 examples/gpt/export.py examples/gpt
Writes, all from the model torch.manual_seed(1234) makes (so every .onnx has the same weights):
  gpt_opset14.onnx, gpt_opset17.onnx  input `tokens` [batch, 32] int64 -> `logits` [batch, 32, 256]
  gpt_loss_opset17.onnx               `tokens`, `targets` [batch, 32] int64 -> `loss` (scalar mean
                                      cross-entropy, SoftmaxCrossEntropyLoss inside the graph)
  tokens.bin   the first 32 KiB of the corpus, little-endian uint16 ids (DESIGN.md data convention)
  tokens.npy   samples 0 and 1 of tokens.bin [2, 32]; logits.npy their logits [2, 32, 256]
  targets.npy  their targets (tokens shifted by one) [2, 32]; loss.npy their mean loss (scalar)
`batch` is symbolic in every export; the tracing batch is 2.
"""
import pathlib
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from model import GPT, GPTConfig, corpus_tokens  # noqa: E402

CORPUS_BYTES = 32 * 1024  # enough for 1023 samples of 32; 20 steps of 8 samples use 160


def export(model, args, path, inputs, outputs, opset, reference_output):
    torch.onnx.export(model, args, str(path), input_names=inputs, output_names=outputs,
                      dynamic_axes={n: {0: "batch"} for n in inputs + outputs if n != "loss"},
                      opset_version=opset,
                      # Training mode keeps every parameter its own initializer: in eval
                      # mode torch merges initializers of equal value (all LayerNorm gains,
                      # all zero biases) into one, which would tie them when training.
                      training=torch.onnx.TrainingMode.TRAINING,
                      do_constant_folding=False)
    m = onnx.load(str(path))
    # T reaches the outputs through Shape ops, so torch names it (`MatMullogits_dim_1`) although
    # the input fixes it at 32: declare every output dimension but the batch with its size.
    for d in range(1, reference_output.dim()):
        m.graph.output[0].type.tensor_type.shape.dim[d].dim_value = reference_output.shape[d]
    onnx.save(m, str(path))
    # The exports must run at any batch: check that shape inference keeps `batch` symbolic.
    m = onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    onnx.checker.check_model(m, full_check=True)
    for v in list(m.graph.input) + list(m.graph.output):
        dims = [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
        assert dims[:1] == (["batch"] if v.name != "loss" else []), (path, v.name, dims)
    return m


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    torch.manual_seed(1234)
    cfg = GPTConfig()
    model = GPT(cfg).eval()
    data = corpus_tokens()[:CORPUS_BYTES]
    data.numpy().astype("<u2").tofile(out / "tokens.bin")
    T = cfg.context
    tokens = torch.stack([data[i * T:(i + 1) * T] for i in range(2)])
    targets = torch.stack([data[i * T + 1:(i + 1) * T + 1] for i in range(2)])
    with torch.no_grad():
        logits = model(tokens)
        loss = model(tokens, targets)
    np.save(out / "tokens.npy", tokens.numpy())
    np.save(out / "logits.npy", logits.numpy())
    np.save(out / "targets.npy", targets.numpy())
    np.save(out / "loss.npy", loss.numpy())
    for opset in (14, 17):
        export(model, (tokens,), out / f"gpt_opset{opset}.onnx", ["tokens"], ["logits"], opset,
               logits)
    # The same model called with targets returns F.cross_entropy of the flattened logits, which
    # torch exports as SoftmaxCrossEntropyLoss (opset >= 12).
    m = export(model, (tokens, targets), out / "gpt_loss_opset17.onnx", ["tokens", "targets"],
               ["loss"], 17, loss)
    assert "SoftmaxCrossEntropyLoss" in {n.op_type for n in m.graph.node}
    print(f"exported to {out}: logits {tuple(logits.shape)}, mean |logit| "
          f"{logits.abs().mean().item():.4f}, loss {loss.item():.6f}, "
          f"tokens.bin {len(data)} tokens")


if __name__ == "__main__":
    main()
