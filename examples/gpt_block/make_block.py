#!/usr/bin/env python3
"""Writes a GPT-style language model in the ds dialect, shaped like examples/gpt_block/block.mlir.

Token and position embeddings, L pre-norm blocks (causal self-attention, GELU(tanh) MLP of width 4C),
a final layer norm, the output head tied to the token embedding, and the mean cross-entropy:

  func.func @forward(%tokens: tensor<BxTxi64>, %targets: tensor<BxTxi64>) -> tensor<f32>

Parameters are ds.param symbols with #ds.init initializers (normal std 0.02 with a distinct seed per
parameter, in declaration order; ones for layer-norm gains; zeros for biases), so
`--layers 1 --vocab 32 --context 8 --width 16 --heads 2 --batch 2` gives the model of block.mlir
(parameters of block i are prefixed `h<i>_`). Needs only the Python standard library.

  python3 make_block.py --layers 4 --vocab 512 --context 128 --width 256 --heads 4 --batch 8 -o model.mlir
"""
import argparse
import math
import struct
import sys


def f32(x):
    """x rounded to float32, printed with enough digits to read back the same float32."""
    return "%.9g" % struct.unpack("f", struct.pack("f", x))[0]


def t(*dims, dtype="f32"):
    return "tensor<" + "x".join(str(d) for d in dims) + ("x" if dims else "") + dtype + ">"


class Writer:
    def __init__(self, shapes_only=False):
        self.params = []
        self.body = []
        self.seed = 0
        self.shapes_only = shapes_only

    def param(self, name, ty, init):
        if self.shapes_only:
            # Shapes only: enough for ds-opt to plan memory and traffic, not to run.
            self.params.append(f"ds.param @{name} : {ty}")
            return
        if init == "normal":
            self.seed += 1
            init = f"#ds.init<normal, mean = 0.0, std = 0.02, seed = {self.seed}>"
        else:
            init = f"#ds.init<{init}>"
        self.params.append(f"ds.param @{name} : {ty} init {init}")

    def op(self, line):
        self.body.append("  " + line)

    def comment(self, text):
        if self.body:
            self.body.append("")
        self.body.append(f"  // {text}")

    def load(self, value, name, ty):
        self.op(f"%{value} = ds.load_param @{name} : {ty}")


def layer_norm(w, out, x, g, b, shape, width):
    w.op(f"%{out} = ds.layer_norm %{x} weight %{g} bias %{b} axis = -1 epsilon = 1.0e-5")
    w.op(f"        : ({shape}, {t(width)}, {t(width)}) -> {shape}")


def linear(w, out, x, weight, bias, rows, k, n):
    """out = x @ weight + bias over activations of shape rows + [k]."""
    w.load(weight, weight, t(k, n))
    w.load(bias, bias, t(n))
    w.op(f"%{out}_mm = ds.matmul %{x}, %{weight} : ({t(*rows, k)}, {t(k, n)}) -> {t(*rows, n)}")
    w.op(f"%{out} = ds.add %{out}_mm, %{bias} : ({t(*rows, n)}, {t(n)}) -> {t(*rows, n)}")


def block(w, i, x_in, B, T, C, H):
    p = f"h{i}_"
    hd = C // H
    act = t(B, T, C)
    for name, ty, init in [("ln1_g", t(C), "ones"), ("ln1_b", t(C), "zeros"),
                           ("w_qkv", t(C, 3 * C), "normal"), ("b_qkv", t(3 * C), "zeros"),
                           ("w_o", t(C, C), "normal"), ("b_o", t(C), "zeros"),
                           ("ln2_g", t(C), "ones"), ("ln2_b", t(C), "zeros"),
                           ("w_fc", t(C, 4 * C), "normal"), ("b_fc", t(4 * C), "zeros"),
                           ("w_proj", t(4 * C, C), "normal"), ("b_proj", t(C), "zeros")]:
        w.param(p + name, ty, init)

    w.comment(f"Block {i}: causal self-attention.")
    w.load(p + "ln1_g", p + "ln1_g", t(C))
    w.load(p + "ln1_b", p + "ln1_b", t(C))
    layer_norm(w, p + "h1", x_in, p + "ln1_g", p + "ln1_b", act, C)
    linear(w, p + "qkv", p + "h1", p + "w_qkv", p + "b_qkv", (B, T), C, 3 * C)
    w.op(f"%{p}q0, %{p}k0, %{p}v0 = ds.split %{p}qkv axis = 2")
    w.op(f"        : {t(B, T, 3 * C)} -> {act}, {act}, {act}")
    heads_in, heads = t(B, T, H, hd), t(B, H, T, hd)
    for v in "qkv":
        w.op(f"%{p}{v}1 = ds.reshape %{p}{v}0 : {act} -> {heads_in}")
    for v in "qkv":
        w.op(f"%{p}{v} = ds.transpose %{p}{v}1 perm = [0, 2, 1, 3] : {heads_in} -> {heads}")
    scores = t(B, H, T, T)
    w.op(f"%{p}s0 = ds.matmul %{p}q, %{p}k transpose_rhs : ({heads}, {heads}) -> {scores}")
    w.op(f"// 1 / sqrt(head size {hd})")
    w.op(f"%{p}scale = ds.constant dense<{f32(1.0 / math.sqrt(hd))}> : tensor<f32>")
    w.op(f"%{p}s = ds.mul %{p}s0, %{p}scale : ({scores}, tensor<f32>) -> {scores}")
    w.op(f"%{p}p = ds.softmax %{p}s axis = -1 causal : {scores}")
    w.op(f"%{p}a0 = ds.matmul %{p}p, %{p}v : ({scores}, {heads}) -> {heads}")
    w.op(f"%{p}a1 = ds.transpose %{p}a0 perm = [0, 2, 1, 3] : {heads} -> {heads_in}")
    w.op(f"%{p}a = ds.reshape %{p}a1 : {heads_in} -> {act}")
    linear(w, p + "o", p + "a", p + "w_o", p + "b_o", (B, T), C, C)
    w.op(f"%{p}x1 = ds.add %{x_in}, %{p}o : {act}")

    w.comment(f"Block {i}: MLP.")
    w.load(p + "ln2_g", p + "ln2_g", t(C))
    w.load(p + "ln2_b", p + "ln2_b", t(C))
    layer_norm(w, p + "h2", p + "x1", p + "ln2_g", p + "ln2_b", act, C)
    linear(w, p + "f1", p + "h2", p + "w_fc", p + "b_fc", (B, T), C, 4 * C)
    w.op(f"%{p}f = ds.gelu %{p}f1 approximate = tanh : {t(B, T, 4 * C)}")
    linear(w, p + "m", p + "f", p + "w_proj", p + "b_proj", (B, T), 4 * C, C)
    w.op(f"%{p}x2 = ds.add %{p}x1, %{p}m : {act}")
    return p + "x2"


def make_model(vocab, T, C, H, L, B, shapes_only=False):
    if C % H:
        raise ValueError(f"width {C} is not a multiple of heads {H}")
    for name, v in [("vocab", vocab), ("context", T), ("width", C), ("heads", H), ("layers", L),
                    ("batch", B)]:
        if v < 1:
            raise ValueError(f"--{name} must be at least 1, got {v}")
    w = Writer(shapes_only)
    w.param("wte", t(vocab, C), "normal")
    w.param("wpe", t(T, C), "normal")
    act = t(B, T, C)
    tokens = t(B, T, dtype="i64")

    w.comment("Embeddings.")
    w.load("wte", "wte", t(vocab, C))
    w.load("wpe", "wpe", t(T, C))
    w.op(f"%tok = ds.gather %wte[%tokens] axis = 0 : ({t(vocab, C)}, {tokens}) -> {act}")
    w.op(f"%x0 = ds.add %tok, %wpe : ({act}, {t(T, C)}) -> {act}")
    x = "x0"
    for i in range(L):
        x = block(w, i, x, B, T, C, H)

    w.param("lnf_g", t(C), "ones")
    w.param("lnf_b", t(C), "zeros")
    w.comment("Tied output head and loss.")
    w.load("lnf_g", "lnf_g", t(C))
    w.load("lnf_b", "lnf_b", t(C))
    layer_norm(w, "hf", x, "lnf_g", "lnf_b", act, C)
    w.load("wte_head", "wte", t(vocab, C))
    logits = t(B, T, vocab)
    w.op(f"%logits = ds.matmul %hf, %wte_head transpose_rhs : ({act}, {t(vocab, C)}) -> {logits}")
    w.op("%loss = ds.cross_entropy %logits, %targets reduction = mean ignore_index = -100")
    w.op(f"        : ({logits}, {tokens}) -> tensor<f32>")
    w.op("return %loss : tensor<f32>")

    head = [
        f"// A GPT in the ds dialect, written by examples/gpt_block/make_block.py: vocabulary {vocab},",
        f"// context {T}, width {C}, {H} heads, {L} layer{'s' if L > 1 else ''}, batch {B}.",
        f"// Regenerate: python3 examples/gpt_block/make_block.py --vocab {vocab} --context {T} "
        f"--width {C} --heads {H} "
        f"--layers {L} --batch {B}" + (" --shapes-only" if shapes_only else ""),
        "",
    ]
    sig = (f"func.func @forward(%tokens: {tokens} {{ds.name = \"tokens\"}}, "
           f"%targets: {tokens} {{ds.name = \"targets\"}})\n"
           f"    -> (tensor<f32> {{ds.name = \"loss\"}}) {{")
    return "\n".join(head + w.params + ["", sig] + w.body + ["}", ""])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vocab", type=int, default=32)
    ap.add_argument("--context", type=int, default=8, help="sequence length T")
    ap.add_argument("--width", type=int, default=16, help="model width C")
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--shapes-only", action="store_true",
                    help="parameters without initializers: for planning, not running")
    ap.add_argument("-o", "--output", default="-", help="output file (default: stdout)")
    args = ap.parse_args(argv)
    try:
        text = make_model(args.vocab, args.context, args.width, args.heads, args.layers, args.batch,
                          args.shapes_only)
    except ValueError as e:
        ap.error(str(e))
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
