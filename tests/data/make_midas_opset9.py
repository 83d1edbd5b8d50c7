#!/usr/bin/env python3
"""Writes tiny_midas_opset9.onnx and its onnxruntime outputs (midas_opset9_expected.npy).

The graph has the structure of MiDaS's own export (opset 9): the ImageNet
normalisation inside the graph (Sub and Div by [1,3,1,1] constants), `Upsample`
in both modes with its scales as a Constant input, a 1x1 Conv and a Squeeze to
[1,256,256]. The expected outputs are onnxruntime's for the test photo below fed
as plain [0,1] RGB, on two 48x48 corners, top left above bottom right
(a [96,48] float32 array).
Run once by hand: python3 make_midas_opset9.py (needs onnx, onnxruntime, numpy).
"""
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def const(name, array):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(array, name + "_value"))


def test_photo():
    """The same pattern as `midas_test_photo` in tests/it/neural.rs."""
    y, x = np.mgrid[0:256, 0:256]
    r = (x * 5 + y * 3) % 256
    g = (x * x // 7 + y * 2) % 256
    b = ((x // 8) * 37 + (y // 8) * 11) % 256
    return np.stack([r, g, b]).astype(np.float32)[None] / 255.0


nodes = [
    const("mean", np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)),
    const("std", np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)),
    helper.make_node("Sub", ["input", "mean"], ["centred"]),
    helper.make_node("Div", ["centred", "std"], ["normalised"]),
    helper.make_node("AveragePool", ["normalised"], ["pooled"], kernel_shape=[4, 4], strides=[4, 4]),
    const("scales", np.array([1, 1, 2, 2], np.float32)),
    helper.make_node("Upsample", ["pooled", "scales"], ["up_nearest"], mode="nearest"),
    helper.make_node("Upsample", ["up_nearest", "scales"], ["up_linear"], mode="linear"),
    helper.make_node("Conv", ["up_linear", "weight", "bias"], ["conv"], kernel_shape=[1, 1]),
    helper.make_node("Squeeze", ["conv"], ["depth"], axes=[1]),
]
initializers = [
    numpy_helper.from_array(np.array([0.2, 0.5, 0.3], np.float32).reshape(1, 3, 1, 1), "weight"),
    numpy_helper.from_array(np.array([0.1], np.float32), "bias"),
]
graph = helper.make_graph(
    nodes,
    "tiny_midas_opset9",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 256, 256])],
    [helper.make_tensor_value_info("depth", TensorProto.FLOAT, [1, 256, 256])],
    initializers,
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)], producer_name="photo3d-tests")
model.ir_version = 4
onnx.checker.check_model(model)
onnx.save(model, "tiny_midas_opset9.onnx")

session = ort.InferenceSession("tiny_midas_opset9.onnx", providers=["CPUExecutionProvider"])
(out,) = session.run(None, {"input": test_photo()})
np.save("midas_opset9_expected.npy", np.concatenate([out[0, :48, :48], out[0, -48:, -48:]]))
print(out.shape, out.min(), out.max())
