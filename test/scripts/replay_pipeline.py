"""slimtune-opt replays what slimtune compile ran: the pipeline line of compile's memory
report, given to slimtune-opt --pass-pipeline, must print the same step as compile's
--print-ir-after PASS dump (the last pass). Usage: replay_pipeline.py SLIMTUNE SLIMTUNE_OPT
STEP.mlir [compile flags...]. Prints "replayed N lines" or the first difference; exit 1 then.
"""
import re
import subprocess
import sys

slimtune, opt, step, flags = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
compiled = subprocess.run([slimtune, "compile", step, "--memory-report",
                           "--print-ir-after", "slim-plan-memory", *flags],
                          capture_output=True, text=True, check=True)
pipeline = re.search(r"^pipeline: (.*)$", compiled.stdout, re.M).group(1)
dump = compiled.stderr.split("//----- //\n", 1)[1]
replayed = subprocess.run([opt, step, "--pass-pipeline=" + pipeline],
                          capture_output=True, text=True, check=True).stdout


def func_lines(text):
    """The func.func's lines, indentation dropped (the dump prints the function alone)."""
    lines = [l.strip() for l in text.splitlines()]
    start = next(i for i, l in enumerate(lines) if l.startswith("func.func"))
    end = next(i for i in range(start, len(lines)) if lines[i] == "}")
    return lines[start:end + 1]


a, b = func_lines(dump), func_lines(replayed)
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        print(f"line {i}: compile printed\n  {x}\nslimtune-opt printed\n  {y}")
        sys.exit(1)
if len(a) != len(b):
    print(f"compile printed {len(a)} lines, slimtune-opt {len(b)}")
    sys.exit(1)
print(f"replayed {len(a)} lines")
