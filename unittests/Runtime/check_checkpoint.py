"""Reads the checkpoint CheckpointSample writes with nothing but the standard library and numpy,
parsing safetensors by hand: the files must be readable by any tool, not only by ds.

Usage: check_checkpoint.py --writer PATH/TO/DSCheckpointSample
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "I64": np.int64,
          "I32": np.int32, "U8": np.uint8}


def read_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0, f"{path}: header length {n} is not a multiple of 8"
    raw = data[8:8 + n]
    assert raw.rstrip(b" ").endswith(b"}"), f"{path}: header padding is not spaces"
    header = json.loads(raw)
    assert header.pop("__metadata__") == {"format": "pt"}, path
    body = data[8 + n:]
    tensors, end = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, stop = info["data_offsets"]
        assert begin == end, f"{path}: {name} does not follow the previous tensor"
        array = np.frombuffer(body[begin:stop], dtype=DTYPES[info["dtype"]])
        if info["dtype"] == "BF16":  # numpy has no bfloat16: widen the bits to float32
            array = (array.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = array.reshape(info["shape"])
        end = stop
    assert end == len(body), f"{path}: {len(body) - end} bytes after the last tensor"
    return tensors, data


def expect(tensors, name, values, dtype):
    got = tensors[name]
    want = np.asarray(values, dtype=dtype)
    assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want), \
        f"{name}: got {got!r}, want {want!r}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writer", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        subprocess.run([args.writer, root], check=True)
        with open(os.path.join(root, "latest")) as f:
            assert f.read() == "step_00000003\n"
        step_dir = os.path.join(root, "step_00000003")
        with open(os.path.join(step_dir, "trainer_state.json"), encoding="utf-8") as f:
            state = json.load(f)
        assert state["format_version"] == 1 and state["step"] == 3, state
        assert float(state["state"]["lr"]) == 0.1 + 0.2, state["state"]["lr"]
        assert state["state"]["note"] == "\u00fcnicode \"quoted\"\n", state["state"]["note"]

        model, model_bytes = read_safetensors(os.path.join(step_dir, "model.safetensors"))
        expect(model, "blocks.0.attn.c_attn.weight",
               (np.arange(6) * 0.5 - 1).reshape(2, 3), np.float32)
        expect(model, "wte.weight", [1.0, -2.5, 0.15625, 2.0**127], np.float32)
        expect(model, "counts", [-1, 1 << 40, 2**63 - 1], np.int64)
        expect(model, "half", [1.5, -65504.0], np.float16)
        expect(model, "ids", [-7, 123456], np.int32)
        expect(model, "mask", [0, 1, 255], np.uint8)
        expect(model, "scalar", 3.25, np.float32)
        optimizer, optimizer_bytes = read_safetensors(
            os.path.join(step_dir, "optimizer.safetensors"))
        expect(optimizer, "blocks.0.attn.c_attn.weight.exp_avg",
               (np.arange(6) * 0.25).reshape(2, 3), np.float32)
        expect(optimizer, "step", 3, np.int64)

        for name, data in (("model.safetensors", model_bytes),
                           ("optimizer.safetensors", optimizer_bytes)):
            record = state["files"][name]
            assert record == {"bytes": len(data), "crc32": zlib.crc32(data)}, (name, record)
    print("checkpoint files read back with numpy: OK")


if __name__ == "__main__":
    sys.exit(main())
