"""GGUF files: truncated, with a bad header, counts and lengths that lie, tensor infos that do
not fit the data, and metadata describing a model no kernel can run; each one field of a
valid file changed (gguf_layout finds it)."""
import struct

from .common import Case
from .gguf_layout import Layout

ARCH = "general.architecture"


def cases(c):
    out = []
    original = open(c.fixture("llama-tiny.q8_0.gguf"), "rb").read()
    layout = Layout(original)
    embed = "tensor:token_embd.weight:"
    q = "tensor:blk.0.attn_q.weight:"

    def inspect(name, content, *expect):
        path = c.write(name + ".gguf", content)
        c.to_corpus("gguf", name, path)
        c.to_corpus("gguf_model", name, path)
        out.append(Case(name, [c.slimtune, "inspect", "--model", path], [name + ".gguf", *expect]))

    # The file itself.
    for size in (0, 3, 10, 23, 100, layout.end_of_infos - 5, len(original) - 1):
        inspect(f"truncated-{size}", original[:size])
    inspect("magic", b"GGUG" + original[4:])
    for version in (1, 4, 2**32 - 1):
        inspect(f"version-{version}", layout.patched("version", "<I", version))
    inspect("tensor-count-huge", layout.patched("tensor_count", "<Q", 2**62))
    inspect("tensor-count-plus-one", layout.patched("tensor_count", "<Q", len(layout.tensors) + 1))
    inspect("kv-count-huge", layout.patched("kv_count", "<Q", 2**62))
    inspect("kv-count-plus-one", layout.patched("kv_count", "<Q", len(layout.values) + 1))

    # Metadata encoding.
    inspect("key-length-huge", layout.patched("kv_key_len:" + ARCH, "<Q", 2**62))
    inspect("value-type-unknown", layout.patched("kv_type:" + ARCH, "<I", 99))
    inspect("string-length-huge", layout.patched("kv:" + ARCH, "<Q", 2**62))
    inspect("array-count-huge", layout.patched("kv:tokenizer.ggml.tokens", "<IQ", 8, 2**61))
    inspect("array-of-unknown", layout.patched("kv:tokenizer.ggml.tokens", "<I", 77))

    # Tensor infos.
    inspect("n-dims-zero", layout.patched(embed + "n_dims", "<I", 0))
    inspect("n-dims-nine", layout.patched(embed + "n_dims", "<I", 9))
    inspect("dim-zero", layout.patched(embed + "dim0", "<Q", 0))
    inspect("dim-huge", layout.patched(embed + "dim0", "<Q", 2**40))
    inspect("dim-overflow", layout.patched(embed + "dim0", "<Q", 2**63 + 5))
    inspect("tensor-type-unknown", layout.patched(q + "type", "<I", 99))
    inspect("tensor-type-dropped-q4_2", layout.patched(q + "type", "<I", 4))
    inspect("tensor-offset-past-end", layout.patched(q + "offset", "<Q", len(original)))
    inspect("tensor-offset-unaligned", layout.patched(q + "offset", "<Q",
                                                      struct.unpack_from("<Q", original, layout.offsets[q + "offset"])[0] + 1))
    inspect("tensor-offset-huge", layout.patched(q + "offset", "<Q", 2**63))
    inspect("tensor-name-length-huge", layout.patched(q + "name_len", "<Q", 2**62))

    # Metadata that describes a model that cannot be (same-size values written in place).
    inspect("arch-unknown", layout.patched("kv:" + ARCH, "<Q5s", 5, b"gpt-x"))
    inspect("layers-zero", layout.patched("kv:llama.block_count", "<I", 0), "block_count")
    inspect("layers-more-than-tensors", layout.patched("kv:llama.block_count", "<I", 3))
    inspect("width-mismatch", layout.patched("kv:llama.embedding_length", "<I", 48))
    inspect("heads-zero", layout.patched("kv:llama.attention.head_count", "<I", 0), "head_count")
    inspect("kv-heads-not-dividing", layout.patched("kv:llama.attention.head_count_kv", "<I", 3))
    inspect("eps-zero", layout.patched("kv:llama.attention.layer_norm_rms_epsilon", "<f", 0.0), "epsilon")
    inspect("eps-nan", layout.patched("kv:llama.attention.layer_norm_rms_epsilon", "<f", float("nan")), "epsilon")
    inspect("theta-negative", layout.patched("kv:llama.rope.freq_base", "<f", -10000.0), "RoPE")
    inspect("theta-inf", layout.patched("kv:llama.rope.freq_base", "<f", float("inf")), "RoPE")
    inspect("rope-dims-partial", layout.patched("kv:llama.rope.dimension_count", "<I", 4))
    inspect("context-zero", layout.patched("kv:llama.context_length", "<I", 0), "context_length")
    inspect("eps-wrong-type", layout.patched("kv_type:llama.attention.layer_norm_rms_epsilon", "<I", 4))
    return out
