#!/usr/bin/env python3
"""Runs a command that must fail cleanly: a non-zero exit status that is not a death by signal
(neither negative nor 128 or above), nothing on stdout, and exactly one line on stderr that
starts "slimtune: error: " besides any "slimtune: warning: " lines. Prints that error line for
FileCheck; exits 1 (with the reason) when any of this does not hold.

  one_error.py COMMAND ARGS...

clean_failure() is the rule itself; test/hostile/hostile.py applies it to every hostile case.
"""
import subprocess
import sys

WARNING = "slimtune: warning: "
ERROR = "slimtune: error: "


def clean_failure(returncode, stdout, stderr):
    """(problems, error line) of a finished command: problems is a list of what breaks the
    clean-failure rule (empty when none does); the error line is "" unless there is one."""
    problems = []
    if returncode < 0:
        problems.append(f"killed by signal {-returncode}")
    elif returncode == 0:
        problems.append("exit status 0, expected a failure status")
    elif returncode >= 128:
        problems.append(f"exit status {returncode} (a signal?)")
    if stdout:
        problems.append(f"wrote to stdout: {stdout[:200]!r}")
    errors = [line for line in stderr.splitlines() if not line.startswith(WARNING)]
    if len(errors) != 1:
        problems.append(f"{len(errors)} non-warning lines on stderr, expected 1: {stderr[:1000]!r}")
        return problems, ""
    if not errors[0].startswith(ERROR):
        problems.append(f"stderr line does not start {ERROR!r}: {errors[0][:300]!r}")
        return problems, ""
    return problems, errors[0]


def main():
    result = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            errors="replace", timeout=120)
    problems, line = clean_failure(result.returncode, result.stdout, result.stderr)
    if problems:
        print("one_error.py: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
