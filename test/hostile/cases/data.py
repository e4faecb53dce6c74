"""Training data: text and JSON Lines through the model's tokenizer (--data), raw token ids
(--tokens); missing, empty, malformed, too short, or holding ids the model does not have."""
import struct

from .common import Case, token_ids

TEXT_FILES = [
    ("empty.txt", b""),
    ("whitespace.txt", b"   \n\n\t\n  \n"),
    ("short.txt", b"Just a few words.\n"),
    ("not-json.jsonl", b"this is not JSON\n"),
    ("array-line.jsonl", b'["text", "a line"]\n'),
    ("no-text-field.jsonl", b'{"content": "the text is under another key"}\n'),
    ("text-number.jsonl", b'{"text": 42}\n'),
    ("empty-texts.jsonl", b'{"text": ""}\n{"text": ""}\n'),
    ("truncated.jsonl", b'{"text": "a document"}\n{"text": "another docu'),
    ("bad-utf8.jsonl", b'{"text": "caf\xe9"}\n'),
    ("deep.jsonl", b'{"text": ' + b"[" * 100 + b"]" * 100 + b"}\n"),
]

TOKEN_FILES = [
    ("empty.u32", b""),
    ("odd-size.u32", b"\x01\x00\x00\x00\x02"),
    ("id-past-vocab.u32", struct.pack("<400I", *([5] * 399 + [96]))),
    ("id-max.u32", struct.pack("<400I", *([5] * 200 + [0xFFFFFFFF] + [5] * 199))),
    ("too-few.u32", struct.pack("<5I", 1, 2, 3, 4, 5)),
]


def cases(c):
    out = []
    text_model, ids_model = c.fixture("llama-text"), c.fixture("llama-tiny")
    adapter = c.write("lora.json", '{"peft_type": "LORA", "r": 4, "lora_alpha": 8}')
    cache = {"SLIMTUNE_CACHE": c.path("cache")}

    def train(model, flag, path, *more):
        return [c.slimtune, "train", "--model", model, "--adapter", adapter, flag, path, "--steps", "2",
                "--batch", "2", "--seq", "32", *more]

    for name, content in TEXT_FILES:
        path = c.write(name, content)
        c.to_corpus("text_documents", name, path)
        out.append(Case("data-" + name, train(text_model, "--data", path), [name], env=cache))
    for name, content in TOKEN_FILES:
        path = c.write(name, content)
        c.to_corpus("token_file", name, path)
        out.append(Case("tokens-" + name, train(ids_model, "--tokens", path), [name]))

    out.append(Case("data-missing", train(text_model, "--data", c.path("nowhere.txt")), ["nowhere.txt"], env=cache))
    out.append(Case("data-folder", train(text_model, "--data", c.folder), [c.folder], env=cache))
    out.append(Case("tokens-missing", train(ids_model, "--tokens", c.path("nowhere.u32")), ["nowhere.u32"]))
    out.append(Case("tokens-folder", train(ids_model, "--tokens", c.folder), [c.folder]))
    # Text for a model that has no tokenizer.
    story = c.write("story.txt", ("Once upon a time there was a small model. " * 40 + "\n\n") * 5)
    out.append(Case("data-model-without-tokenizer", train(ids_model, "--data", story), ["llama-tiny"], env=cache))
    # Enough for validation or for training, not both.
    ids = c.write("few.u32", token_ids(80))
    out.append(Case("tokens-all-validation", train(ids_model, "--tokens", ids, "--val-fraction", "0.9"), ["few.u32"]))
    return out
