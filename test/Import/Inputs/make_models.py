#!/usr/bin/python3
"""Writes the binary ONNX models the importer's lit tests read (run with Debian's python3, which
has python3-onnx 1.12):

    make_models.py OUT_DIR

  mlp.onnx             a two-layer MLP (x[2, 4] -> y[2, 3]) with its weights inside the file
  external.onnx        the same MLP with its weights in external.bin (data_location EXTERNAL):
                       w1 at offset 0 with a length, w2 without one (to the end of the file)
  escaping.onnx        an initializer whose external location leaves the model's directory
  short.onnx           an initializer whose external data runs past the end of its file
  tied.onnx            tied embeddings as torch exports them: `wte` used by a Gather, and the
                       transposed copy "onnx::MatMul_7" that constant folding made for the head
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

W1 = np.arange(16, dtype=np.float32).reshape(4, 4) / 8.0
W2 = np.arange(12, dtype=np.float32).reshape(4, 3) / -4.0


def mlp(initializers):
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"]),
         helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("MatMul", ["r", "w2"], ["y"])],
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def external(name, array, location, offset, length=None):
    tensor = numpy_helper.from_array(array, name)
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    entries = {"location": location, "offset": str(offset)}
    if length is not None:
        entries["length"] = str(length)
    for key, value in entries.items():
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return tensor


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    onnx.save(mlp([numpy_helper.from_array(W1, "w1"), numpy_helper.from_array(W2, "w2")]),
              os.path.join(out, "mlp.onnx"))

    with open(os.path.join(out, "external.bin"), "wb") as f:
        f.write(W1.tobytes())
        f.write(W2.tobytes())
    onnx.save(mlp([external("w1", W1, "external.bin", 0, W1.nbytes),
                   external("w2", W2, "external.bin", W1.nbytes)]),
              os.path.join(out, "external.onnx"))
    onnx.save(mlp([external("w1", W1, "../external.bin", 0, W1.nbytes),
                   numpy_helper.from_array(W2, "w2")]),
              os.path.join(out, "escaping.onnx"))
    onnx.save(mlp([external("w1", W1, "external.bin", W1.nbytes, W1.nbytes),
                   numpy_helper.from_array(W2, "w2")]),
              os.path.join(out, "short.onnx"))
    onnx.save(tied(), os.path.join(out, "tied.onnx"))


def tied():
    wte = np.arange(15, dtype=np.float32).reshape(5, 3) / 16.0
    graph = helper.make_graph(
        [helper.make_node("Gather", ["wte", "ids"], ["emb"]),
         helper.make_node("MatMul", ["emb", "onnx::MatMul_7"], ["logits"])],
        "tied",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [2, 5])],
        [numpy_helper.from_array(wte, "wte"),
         numpy_helper.from_array(np.ascontiguousarray(wte.T), "onnx::MatMul_7")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


if __name__ == "__main__":
    main()
