#!/usr/bin/env python3
"""kill -9 at random moments, then --resume, until the run finishes: its final adapter and
AdamW state must be bitwise those of the same run never interrupted.

  kill_resume.py --slimtune BIN --shim LIB --work DIR [--trials N] [--seed S] -- TRAIN_ARGS...

TRAIN_ARGS is a `slimtune train` command line without --out/--resume (it should save every
step). Each trial kills its run up to --kills times, each time at one of:
  - a random moment (compiling, binding, training, evaluating or saving: wherever it lands);
  - after a random logged step;
  - in the middle of writing a checkpoint (the LD_PRELOAD shim makes checkpoint writes slow, and
    the kill comes once a step-N.partial.<pid> folder exists).
After each kill the run folder's newest checkpoint must be whole (resume verifies it); a run
killed before its first checkpoint starts afresh. Prints one line per trial and a summary;
exits 1 at the first difference.
"""
import argparse
import glob
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--slimtune", required=True)
parser.add_argument("--shim", required=True, help="libslimtune-full-disk.so (its slow-disk mode)")
parser.add_argument("--work", required=True)
parser.add_argument("--trials", type=int, default=3)
parser.add_argument("--kills", type=int, default=3, help="kills per trial")
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("train", nargs=argparse.REMAINDER)
args = parser.parse_args()
train = [a for a in args.train if a != "--"]
STATE_FILES = ["adapter_model.safetensors", "optimizer.safetensors"]


def checkpoints(run):
    found = []
    for path in glob.glob(os.path.join(run, "checkpoints", "step-*")):
        name = os.path.basename(path)
        if re.fullmatch(r"step-\d+", name):
            found.append((int(name[5:]), path))
    return [p for _, p in sorted(found)]


def final_state(run):
    newest = checkpoints(run)[-1]
    return newest, {f: open(os.path.join(newest, f), "rb").read() for f in STATE_FILES}


def start(run, mode, save_step=0):
    """Starts the run (fresh, or resumed when it has a checkpoint); returns the process. In
    "save" mode the writes of step `save_step`'s checkpoint are slow (and only those)."""
    command = [args.slimtune, "train"] + (["--resume", run] if checkpoints(run) else train + ["--out", run])
    env = dict(os.environ)
    if mode == "save":
        env.update(LD_PRELOAD=args.shim, SLIMTUNE_TEST_SLOW_DISK=f"step-{save_step}.partial.",
                   SLIMTUNE_TEST_SLOW_DISK_MS="150")
    # Only a kill after a logged step reads the output; otherwise an unread pipe could fill.
    out = subprocess.PIPE if mode in ("step", "none") else subprocess.DEVNULL
    return subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE if mode == "none" else subprocess.DEVNULL,
                            text=True, env=env)


def kill_at(process, run, mode, rng, save_step=0):
    """Kills the process at the moment `mode` asks for; returns where, or None if it finished."""
    deadline = time.time() + 120
    if mode == "time":
        time.sleep(rng.uniform(0.0, reference_seconds))
        where = "after %.2f s" % (time.time() - started)
    elif mode == "step":
        wanted = rng.randint(1, total_steps)
        where = None
        for line in process.stdout:
            m = re.match(r"step (\d+)/", line)
            if m and int(m.group(1)) >= wanted:
                where = f"after step {m.group(1)}"
                break
        if where is None:
            return None
    else:  # during the (slow) save of step save_step
        where = None
        while time.time() < deadline and process.poll() is None:
            partial = glob.glob(os.path.join(run, "checkpoints", f"step-{save_step}.partial.{process.pid}"))
            if partial:
                where = "while writing " + os.path.basename(partial[0])
                break
            time.sleep(0.002)
        if where is None:
            return None
    if process.poll() is not None:
        return None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return where


rng = random.Random(args.seed)
shutil.rmtree(args.work, ignore_errors=True)
os.makedirs(args.work)
reference = os.path.join(args.work, "reference")
begin = time.time()
result = subprocess.run([args.slimtune, "train"] + train + ["--out", reference],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
if result.returncode != 0:
    sys.exit(f"kill_resume.py: the uninterrupted run failed: {result.stderr.strip()}")
reference_seconds = time.time() - begin
total_steps = int(train[train.index("--steps") + 1])
reference_checkpoint, expected = final_state(reference)

total_kills = during_save = 0
for trial in range(args.trials):
    run = os.path.join(args.work, f"trial-{trial}")
    kills = []
    modes = ["save"] + [rng.choice(["time", "step", "save"]) for _ in range(args.kills - 1)]
    rng.shuffle(modes)
    for mode in modes:
        started = time.time()
        done = checkpoints(run)
        first = int(os.path.basename(done[-1])[5:]) + 1 if done else 1
        if first > total_steps:  # the last step's checkpoint is saved: nothing left to interrupt
            break
        save_step = rng.randint(first, total_steps)
        process = start(run, mode, save_step)
        where = kill_at(process, run, mode, rng, save_step)
        if where is None:  # it finished first: nothing left to interrupt
            process.communicate()
            break
        kills.append(where)
    # Resume (or start) once more: the run must complete.
    process = start(run, "none")
    out, err = process.communicate(timeout=300)
    if process.returncode != 0:
        sys.exit(f"kill_resume.py: trial {trial}: the run after kills {kills} failed "
                 f"(status {process.returncode}): {err.strip()}")
    leftovers = glob.glob(os.path.join(run, "checkpoints", "*.partial.*")) + \
        glob.glob(os.path.join(run, "checkpoints", "*.old.*"))
    if leftovers:
        sys.exit(f"kill_resume.py: trial {trial}: unfinished checkpoint folders remain: {leftovers}")
    checkpoint, state = final_state(run)
    if os.path.basename(checkpoint) != os.path.basename(reference_checkpoint):
        sys.exit(f"kill_resume.py: trial {trial} ended at {checkpoint}, the reference at {reference_checkpoint}")
    for f in STATE_FILES:
        if state[f] != expected[f]:
            sys.exit(f"kill_resume.py: trial {trial}: {f} differs from the uninterrupted run's "
                     f"(kills: {kills})")
    total_kills += len(kills)
    during_save += sum(1 for k in kills if k.startswith("while writing"))
    print(f"trial {trial}: killed {len(kills)} times ({'; '.join(kills)}); final state bitwise identical")
print(f"{args.trials} trials, {total_kills} kills ({during_save} during a save): every run resumed to "
      f"the uninterrupted run's adapter and AdamW state, bit for bit")
