#!/usr/bin/env python3
"""Writes a shapes-only GPT of a named size in the ds dialect, to plan memory without the weights.

The model is examples/gpt_block/make_block.py's (learned position embeddings, pre-norm blocks,
GELU MLP of width 4C, output head tied to the token embedding, mean cross-entropy), with
`ds.param` symbols that carry only their shapes: ds-opt plans it (--ds-memory-report) but cannot
run it. The text is a few hundred lines per layer whatever the width, so even 175B loads in a
moment.

  python3 make_gpt.py --preset 7.5b -o gpt-7.5b.mlir
  ds-opt gpt-7.5b.mlir --ds-config=ds_config.json --ds-world-size=64 --ds-memory-report

Presets (layers, width, heads; vocabulary 50257 throughout):
  GPT-2 (Radford et al. 2019), context 1024: gpt2 (12, 768, 12), gpt2-medium (24, 1024, 16),
    gpt2-large (36, 1280, 20), gpt2-xl (48, 1600, 25).
  GPT-3 (Brown et al. 2020, table 2.1), context 2048: 125m (12, 768, 12), 350m (24, 1024, 16),
    760m (24, 1536, 16), 1.3b (24, 2048, 16: the paper's 24 heads of 128 do not divide 2048, so
    16 heads of 128 as Megatron-LM trains it), 2.7b (32, 2560, 32), 6.7b (32, 4096, 32),
    13b (40, 5140 -> 5120, 40), 175b (96, 12288, 96).
  7.5b (36, 4096, 32), context 2048: the ZeRO paper's running example of Psi = 7.5B
    (7,463,923,712 parameters with this vocabulary).
Explicit --layers/--width/--heads/--vocab/--context/--batch override a preset's values.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gpt_block"))
import make_block  # noqa: E402

GPT2, GPT3, VOCAB = 1024, 2048, 50257
# name: (layers, width, heads, context)
PRESETS = {
    "gpt2": (12, 768, 12, GPT2),
    "gpt2-medium": (24, 1024, 16, GPT2),
    "gpt2-large": (36, 1280, 20, GPT2),
    "gpt2-xl": (48, 1600, 25, GPT2),
    "125m": (12, 768, 12, GPT3),
    "350m": (24, 1024, 16, GPT3),
    "760m": (24, 1536, 16, GPT3),
    "1.3b": (24, 2048, 16, GPT3),
    "2.7b": (32, 2560, 32, GPT3),
    "6.7b": (32, 4096, 32, GPT3),
    "7.5b": (36, 4096, 32, GPT3),
    "13b": (40, 5120, 40, GPT3),
    "175b": (96, 12288, 96, GPT3),
}


def parameter_count(vocab, T, C, L):
    """Psi of make_block's model: embeddings, L blocks of 12C^2 + 13C, the final layer norm."""
    return vocab * C + T * C + L * (12 * C * C + 13 * C) + 2 * C


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), help="a named size (see above)")
    ap.add_argument("--layers", type=int)
    ap.add_argument("--width", type=int, help="model width C")
    ap.add_argument("--heads", type=int)
    ap.add_argument("--vocab", type=int)
    ap.add_argument("--context", type=int, help="sequence length T")
    ap.add_argument("--batch", type=int, default=1, help="micro batch per rank (default 1)")
    ap.add_argument("--init", action="store_true",
                    help="give the parameters initializers (normal, std 0.02; layer norms ones "
                         "and zeros) so ds-run can train the model, for benchmarks")
    ap.add_argument("-o", "--output", default="-", help="output file (default: stdout)")
    args = ap.parse_args(argv)

    layers, width, heads, context = PRESETS.get(args.preset, (None, None, None, None))
    vocab = VOCAB if args.preset else None
    layers = args.layers or layers
    width = args.width or width
    heads = args.heads or heads
    context = args.context or context
    vocab = args.vocab or vocab
    missing = [n for n, v in [("layers", layers), ("width", width), ("heads", heads),
                              ("context", context), ("vocab", vocab)] if v is None]
    if missing:
        ap.error("give --preset or every size: missing " + ", ".join("--" + m for m in missing))
    try:
        text = make_block.make_model(vocab, context, width, heads, layers, args.batch,
                                     shapes_only=not args.init)
    except ValueError as e:
        ap.error(str(e))
    name = args.preset or "custom"
    psi = parameter_count(vocab, context, width, layers)
    what = "initialized" if args.init else "shapes only"
    text = f"// GPT {name}, {what}: {psi} parameters.\n" + text
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
