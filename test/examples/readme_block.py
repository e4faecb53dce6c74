#!/usr/bin/env python3
"""Prints the code block of README.md between the markers
<!-- begin NAME ... --> and <!-- end NAME -->, without its ``` fences.

  readme_block.py README.md NAME
"""
import sys

text = open(sys.argv[1], encoding="utf-8").read()
name = sys.argv[2]
begin = text.index(f"<!-- begin {name}")
block = text[text.index("\n", begin) + 1:text.index(f"<!-- end {name}", begin)]
lines = block.strip("\n").split("\n")
if not (lines[0].startswith("```") and lines[-1] == "```"):
    sys.exit(f"readme_block.py: the block of {name} is not fenced")
print("\n".join(lines[1:-1]))
