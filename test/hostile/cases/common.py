"""What every category of hostile cases shares: the case record, the scratch folders, the
fixtures, and writers for the files the cases break."""
import hashlib
import json
import os
import shutil
import struct
import subprocess
from dataclasses import dataclass, field


@dataclass
class Case:
    name: str
    argv: list
    # Substrings the one error line must contain: the file it names, the option, the problem.
    expect: list
    env: dict = field(default_factory=dict)
    timeout: int = 120
    category: str = ""


class Context:
    """Paths shared by all categories; category(name) gives each its own scratch folder."""

    def __init__(self, slimtune, fixtures, work, asan_corpus):
        self.slimtune, self.fixtures, self.work, self.asan_corpus = slimtune, fixtures, work, asan_corpus
        self.corpus_files = 0

    def category(self, name):
        return Category(self, os.path.join(self.work, name.replace(" ", "-")))


class Category:
    def __init__(self, context, folder):
        self.context = context
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    @property
    def slimtune(self):
        return self.context.slimtune

    def fixture(self, name):
        return os.path.join(self.context.fixtures, name)

    def path(self, *parts):
        return os.path.join(self.folder, *parts)

    def write(self, name, content):
        """Writes bytes or text to a file of this category's folder; returns its path."""
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
        return path

    def to_corpus(self, target, name, path):
        """Also runs this file through the fuzz target `target` (ASan/UBSan), when asked."""
        if not self.context.asan_corpus:
            return
        folder = os.path.join(self.context.asan_corpus, target)
        os.makedirs(folder, exist_ok=True)
        shutil.copy(path, os.path.join(folder, name))
        self.context.corpus_files += 1

    def run(self, argv, **kwargs):
        """Runs a setup command (it must succeed)."""
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, **kwargs)


def token_ids(count, stride=7, vocab=96):
    """The bytes of a --tokens file of `count` ids: (i * stride) % vocab, little-endian uint32."""
    return struct.pack(f"<{count}I", *[(i * stride) % vocab for i in range(count)])


def read_safetensors(path):
    """(header dict, data bytes) of a safetensors file."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        return header, f.read()


def safetensors_bytes(header, data, raw_header=None):
    """A safetensors file from a header (dict, or raw bytes) and the data section."""
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def rewrite_checksums(folder):
    """Recomputes a checkpoint's checksums.sha256 over the files it lists: a checkpoint
    damaged by a program that also updated its checksums (the checks after the checksums)."""
    sums = os.path.join(folder, "checksums.sha256")
    lines = []
    for line in open(sums).read().splitlines():
        name = line.split("  ", 1)[1]
        digest = hashlib.sha256(open(os.path.join(folder, name), "rb").read()).hexdigest()
        lines.append(f"{digest}  {name}")
    with open(sums, "w") as f:
        f.write("\n".join(lines) + "\n")
