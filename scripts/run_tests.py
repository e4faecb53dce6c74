#!/usr/bin/env python3
"""Runs every test suite and prints one summary line, "N passed, N failed".

Suites: the GoogleTest unit tests, the lit + FileCheck suite (test/, including cross-checks
against reference Python libraries and the tests on SmolLM2-135M), and a bounded run of every
fuzz target (scripts/fuzz.py; SLIMTUNE_FUZZ_SECONDS per target, default 15). Each writes a
JUnit XML report; the counts come from those reports, so a suite that crashes before reporting
counts as a failure rather than as nothing.

The environment passed to lit: SLIMTUNE_PYTHON (scripts/python_env.sh) and SLIMTUNE_SMOLLM2
(scripts/fetch_smollm2.sh), when they could be prepared; tests needing them are skipped
otherwise.
"""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

LIT = "/usr/lib/llvm-19/build/utils/lit/lit.py"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def prepare(script, variable):
    """Runs a preparation script that prints a path; exports it as `variable` on success."""
    result = subprocess.run([os.path.join(ROOT, "scripts", script)], stdout=subprocess.PIPE, text=True)
    path = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    if result.returncode == 0 and path and os.path.exists(path):
        os.environ[variable] = os.path.abspath(path)
    else:
        print(f"note: {script} failed; the tests that need {variable} will be skipped", flush=True)


def count(report):
    """(passed, failed, skipped) of a JUnit XML report."""
    passed = failed = skipped = 0
    for case in ET.parse(report).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None or case.get("result") == "skipped":
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def run_suite(name, command, report):
    print(f"== {name}", flush=True)
    if os.path.exists(report):
        os.remove(report)
    code = subprocess.call(command)
    if not os.path.exists(report):
        print(f"slimtune: error: {name} wrote no report (exit code {code})", file=sys.stderr)
        return 0, 1, 0
    passed, failed, skipped = count(report)
    if code != 0 and failed == 0:
        failed = 1  # the runner failed in a way the report does not show
    print(f"== {name}: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
    return passed, failed, skipped


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    reports = os.path.join(build, "test-results")
    os.makedirs(reports, exist_ok=True)
    prepare("python_env.sh", "SLIMTUNE_PYTHON")
    prepare("fetch_smollm2.sh", "SLIMTUNE_SMOLLM2")
    suites = []
    unit = os.path.join(build, "bin", "slimtune-unit-tests")
    if os.path.exists(unit):
        xml = os.path.join(reports, "unit.xml")
        suites.append(("unit tests (GoogleTest)", [unit, "--gtest_brief=1", f"--gtest_output=xml:{xml}"], xml))
    lit_cfg = os.path.join(build, "test", "lit.site.cfg.py")
    if os.path.exists(lit_cfg):
        xml = os.path.join(reports, "lit.xml")
        suites.append(("lit + FileCheck", [sys.executable, LIT, "-sv", f"--xunit-xml-output={xml}",
                                            os.path.join(build, "test")], xml))
    seconds = os.environ.get("SLIMTUNE_FUZZ_SECONDS", "15")
    if seconds != "0":
        xml = os.path.join(reports, "fuzz.xml")
        suites.append((f"fuzz targets ({seconds} s each, ASan/UBSan)",
                       [sys.executable, os.path.join(ROOT, "scripts", "fuzz.py"), "--seconds", seconds,
                        "--fixtures", os.path.join(build, "fixtures"), "--junit", xml,
                        "--hostile-corpus", os.path.join(build, "hostile-corpus")], xml))
    totals = [0, 0, 0]
    for name, command, xml in suites:
        for i, n in enumerate(run_suite(name, command, xml)):
            totals[i] += n
    if not suites:
        print("slimtune: error: no test suites were built", file=sys.stderr)
        totals[1] += 1
    print(f"{totals[2]} skipped")
    print(f"{totals[0]} passed, {totals[1]} failed")
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main())
