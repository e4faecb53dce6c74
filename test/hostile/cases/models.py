"""Model folders: config.json damaged, missing or describing a model the weights (or any
kernel) cannot be; inspected, and a few imported (the graph-level checks)."""
import json
import os
import shutil

from .common import Case

# (name, key, value): the key set to the value; value DELETE removes it.
DELETE = object()
MUTATIONS = [
    ("no-vocab", "vocab_size", DELETE),
    ("no-hidden", "hidden_size", DELETE),
    ("no-layers", "num_hidden_layers", DELETE),
    ("no-heads", "num_attention_heads", DELETE),
    ("no-ffn", "intermediate_size", DELETE),
    ("vocab-zero", "vocab_size", 0),
    ("vocab-negative", "vocab_size", -1),
    ("vocab-string", "vocab_size", "96"),
    ("vocab-float", "vocab_size", 96.5),
    ("vocab-huge", "vocab_size", 2**40),
    ("vocab-too-big-for-int64", "vocab_size", 2**70),
    ("vocab-mismatch", "vocab_size", 97),
    ("hidden-zero", "hidden_size", 0),
    ("hidden-not-divisible", "hidden_size", 33),
    ("hidden-beyond-limit", "hidden_size", 2**20),
    ("hidden-bool", "hidden_size", True),
    ("layers-zero", "num_hidden_layers", 0),
    ("layers-more-than-weights", "num_hidden_layers", 3),
    ("layers-absurd", "num_hidden_layers", 5000),
    ("heads-zero", "num_attention_heads", 0),
    ("heads-not-dividing", "num_attention_heads", 3),
    ("kv-heads-not-dividing", "num_key_value_heads", 3),
    ("kv-heads-zero", "num_key_value_heads", 0),
    ("ffn-zero", "intermediate_size", 0),
    ("ffn-mismatch", "intermediate_size", 65),
    ("eps-zero", "rms_norm_eps", 0),
    ("eps-negative", "rms_norm_eps", -1e-5),
    ("eps-below-fp32", "rms_norm_eps", 1e-40),
    ("eps-large", "rms_norm_eps", 10),
    ("eps-string", "rms_norm_eps", "1e-5"),
    ("theta-zero", "rope_theta", 0),
    ("theta-negative", "rope_theta", -10000.0),
    ("theta-huge", "rope_theta", 1e40),
    ("theta-string", "rope_theta", "10000"),
    ("rope-scaling-linear", "rope_scaling", {"type": "linear", "factor": 2.0}),
    ("rope-scaling-yarn", "rope_scaling", {"rope_type": "yarn", "factor": 4.0}),
    ("rope-scaling-string", "rope_scaling", "linear"),
    ("act-gelu", "hidden_act", "gelu"),
    ("act-number", "hidden_act", 5),
    ("head-dim-odd", "head_dim", 7),
    ("head-dim-zero", "head_dim", 0),
    ("positions-zero", "max_position_embeddings", 0),
    ("positions-negative", "max_position_embeddings", -5),
    ("tied-string", "tie_word_embeddings", "yes"),
    ("type-bert", "model_type", "bert"),
    ("type-number", "model_type", 5),
    ("attention-bias-no-weights", "attention_bias", True),
]

# Whole config.json texts that are not a config.
TEXTS = [
    ("config-empty", b""),
    ("config-not-json", b"model_type: llama\n"),
    ("config-array", b"[1, 2, 3]"),
    ("config-string", b'"llama"'),
    ("config-truncated", b'{"model_type": "llama", "vocab_size": 9'),
    ("config-duplicate-key", b'{"model_type": "llama", "model_type": "gpt2"}'),
    ("config-deep", b'{"a":' * 200 + b"1" + b"}" * 200),
    ("config-bad-utf8", b'{"model_type": "ll\xffama"}'),
    ("config-nan", b'{"model_type": "llama", "rms_norm_eps": NaN}'),
    ("config-no-type", b'{"architectures": ["BertModel"], "vocab_size": 96}'),
]


def cases(c):
    out = []
    source = c.fixture("llama-tiny")
    base = json.load(open(os.path.join(source, "config.json")))
    for name, key, value in MUTATIONS:
        folder = c.path(name)
        os.makedirs(folder)
        shutil.copy(os.path.join(source, "model.safetensors"), folder)
        config = dict(base)
        if value is DELETE:
            config.pop(key, None)
        else:
            config[key] = value
        path = os.path.join(folder, "config.json")
        with open(path, "w") as f:
            json.dump(config, f)
        c.to_corpus("config_json", name, path)
        out.append(Case(name, [c.slimtune, "inspect", "--model", folder], [name]))
    for name, text in TEXTS:
        folder = c.path(name)
        os.makedirs(folder)
        shutil.copy(os.path.join(source, "model.safetensors"), folder)
        path = c.write(os.path.join(name, "config.json"), text)
        c.to_corpus("config_json", name, path)
        out.append(Case(name, [c.slimtune, "inspect", "--model", folder], [name]))

    # Folders and paths that are not a model.
    empty = c.path("empty-folder")
    os.makedirs(empty)
    out.append(Case("empty-folder", [c.slimtune, "inspect", "--model", empty], ["empty-folder"]))
    no_weights = c.path("no-weights")
    os.makedirs(no_weights)
    shutil.copy(os.path.join(source, "config.json"), no_weights)
    out.append(Case("no-weights", [c.slimtune, "inspect", "--model", no_weights], ["no-weights"]))
    out.append(Case("missing-path", [c.slimtune, "inspect", "--model", c.path("nowhere")], ["nowhere"]))
    text_file = c.write("model.txt", "not a model\n")
    out.append(Case("text-file", [c.slimtune, "inspect", "--model", text_file], ["model.txt"]))
    sharded = c.path("bad-index")
    os.makedirs(sharded)
    shutil.copy(os.path.join(source, "config.json"), sharded)
    index = c.write("bad-index/model.safetensors.index.json",
                    '{"weight_map": {"model.embed_tokens.weight": "../../../etc/passwd"}}')
    c.to_corpus("safetensors_index", "shard-outside-folder.json", index)
    out.append(Case("shard-outside-folder", [c.slimtune, "inspect", "--model", sharded], ["bad-index"]))

    # Graph-level: settings every reader accepts but the importer cannot build from.
    for name in ("eps-zero", "theta-negative", "heads-not-dividing"):
        out.append(Case("import-" + name, [c.slimtune, "import", "--model", c.path(name), "--batch", "2",
                                           "--seq", "8", "-o", c.path(name + ".mlir")], [name]))
    return out
