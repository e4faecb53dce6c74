"""For each MEFT variant on one imported graph: compiles the reversible step twice, rebuilding
(with slim-autodiff{measure-reconstruction=true}) and stashing (reconstruct=false), runs both
on the same adapters and batch (slimtune-check-step), and prints compare_gradients.py's
summary and check_reconstruction.py's, each line prefixed by the variant; then "all within
MAX" when every gradient tensor is within MAX of its norm. Exit 1 on any failure.

Usage: reversible_gradients.py SLIMTUNE CHECK_STEP WORK NAME MODEL MAX
       (WORK/NAME.mlir and WORK/batch.u32 exist; SLIMTUNE, CHECK_STEP: the tools' paths)
"""
import os
import subprocess
import sys

slimtune, check_step, work, name, model, limit = sys.argv[1:7]
scripts = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "scripts")
graph, batch = os.path.join(work, name + ".mlir"), os.path.join(work, "batch.u32")


def run(argv):
    out = subprocess.run(argv, capture_output=True, text=True)
    if out.returncode != 0:
        print(" ".join(argv) + " failed:\n" + out.stdout + out.stderr)
        sys.exit(1)
    return out.stdout


for variant in ("meft1", "meft2", "meft3"):
    outputs = {}
    for how, options, autodiff in (("rebuilt", "", "slim-autodiff{measure-reconstruction=true}"),
                                   ("stashed", " reconstruct=false", "slim-autodiff")):
        step = os.path.join(work, f"{name}.{variant}.{how}.so")
        run([slimtune, "compile", graph, "--passes",
             f"slim-reversible{{variant={variant}{options}}},{autodiff}", "-o", step])
        outputs[how] = os.path.join(work, f"{name}.{variant}.{how}.out")
        run([check_step, step, model, batch, outputs[how]])
    compared = run([sys.executable, os.path.join(scripts, "compare_gradients.py"), outputs["stashed"],
                    outputs["rebuilt"], "0.99999", "0.99999", limit])
    rebuilt = run([sys.executable, os.path.join(scripts, "check_reconstruction.py"), outputs["rebuilt"], "1e-3"])
    for line in compared.splitlines() + rebuilt.splitlines()[:1]:
        print(f"{variant}: {line}")
print(f"all within {limit}")
