#!/usr/bin/python3
"""Imports the ONNX backend node tests (Debian's libonnx-testdata) of the ops ds supports.

    import_node_tests.py DS_OPT TESTDATA_NODE_DIR EXPECTED_LIST

Every test whose name starts with a supported op's prefix is imported with `DS_OPT model.onnx`;
none may crash (exit codes 0 or 1 only), and every test named in EXPECTED_LIST (one per line)
must import. Prints one line per test that does not import, with ds-opt's reason, and a count.
Exits 1 on a crash or on an expected test that no longer imports.
"""
import os
import subprocess
import sys

# Test-name prefixes of the ops the importer handles, and look-alikes of other ops to skip.
SUPPORTED = """add sub mul div pow sqrt reciprocal neg exp log tanh erf relu sigmoid softmax logsoftmax
layer_normalization reduce_mean reduce_sum reduce_max reshape transpose unsqueeze squeeze concat
split slice gather expand where equal tril triu cast constant constantofshape shape range dropout
training_dropout identity sce nllloss matmul gemm""".split()
OTHER = ("reduce_sum_square", "gather_elements", "gathernd", "castlike", "matmulinteger",
         "constant_pad", "identity_opt", "identity_sequence")


def is_supported(name):
    op = name[len("test_"):]
    if op.startswith(OTHER):
        return False
    return any(op == p or op.startswith(p + "_") for p in SUPPORTED)


def main():
    ds_opt, root, expected_list = sys.argv[1:4]
    with open(expected_list) as f:
        expected = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    imported, failed, crashed, regressed = [], [], [], []
    for name in sorted(os.listdir(root)):
        if not is_supported(name):
            continue
        run = subprocess.run([ds_opt, os.path.join(root, name, "model.onnx"), "-o", os.devnull],
                             capture_output=True, timeout=120)
        reason = run.stderr.decode("utf-8", "replace").strip().replace("\n", " ")
        if run.returncode == 0:
            imported.append(name)
        elif run.returncode == 1:
            failed.append(name)
            print(f"NOT IMPORTED {name}: {reason}")
            if name in expected:
                regressed.append(name)
        else:
            crashed.append(name)
            print(f"CRASH {name} (exit {run.returncode}): {reason}")
    missing = sorted(expected - set(imported) - set(failed) - set(crashed))
    for name in regressed:
        print(f"REGRESSION {name} imported before")
    for name in missing:
        print(f"MISSING {name} is listed but not in {root}")
    print(f"imported {len(imported)} of {len(imported) + len(failed) + len(crashed)} "
          f"node tests of supported ops; {len(crashed)} crashed")
    return 1 if crashed or regressed else 0


if __name__ == "__main__":
    sys.exit(main())
