"""Checks that a checkpoint still holds the initial model: the ONNX file's weights (fp32, exact)
and all-zero optimizer state, as after steps that were all skipped.

    check_initial_state.py MODEL.onnx STEP_DIR
"""
import json, struct, sys
import numpy as np
import onnx
from onnx import numpy_helper

def tensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, e in header.items():
        assert e["dtype"] == "F32", (name, e["dtype"])
        begin, end = e["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=np.float32).reshape(e["shape"])
    return out

model, ckpt = sys.argv[1], sys.argv[2]
initial = {i.name: numpy_helper.to_array(i) for i in onnx.load(model).graph.initializer}
weights = tensors(ckpt + "/model.safetensors")
state = tensors(ckpt + "/optimizer.safetensors")
for name, value in weights.items():
    assert name in initial, name
    assert np.array_equal(value, initial[name].astype(np.float32)), name
for name, value in state.items():
    assert not value.any(), name
print(f"OK: {len(weights)} weights as initialized, {len(state)} state tensors all zero")
