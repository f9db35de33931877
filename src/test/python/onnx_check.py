"""Independent check of an ONNX file with Debian's python3-onnx: the full checker (with shape
inference), then a JSON summary of what the file declares, for OnnxExportTest.

usage: onnx_check.py MODEL.onnx
"""
import json
import sys

import onnx
from onnx import checker, shape_inference

model = onnx.load(sys.argv[1])
checker.check_model(model, full_check=True)
inferred = shape_inference.infer_shapes(model, strict_mode=True)


def dims(v):
    return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in v.type.tensor_type.shape.dim]


print(json.dumps({
    "ir_version": model.ir_version,
    "opset": [[o.domain, o.version] for o in model.opset_import],
    "inputs": [[i.name, dims(i)] for i in model.graph.input],
    "outputs": [[o.name, dims(o)] for o in inferred.graph.output],
    "ops": sorted({n.op_type for n in model.graph.node}),
    "metadata": {p.key: p.value for p in model.metadata_props},
    "parameters": int(sum(int(__import__("numpy").prod(t.dims)) for t in model.graph.initializer)),
}))
