#!/usr/bin/python3
"""Regenerates every golden reference file: runs each scripts/golden/*.py with Debian's python3
(torch 1.13, torchaudio 0.13, numpy, scipy, sklearn). The JSON files they write are committed, so the
tests need no Python."""
import pathlib
import subprocess
import sys

here = pathlib.Path(__file__).resolve().parent / "golden"
failed = []
for script in sorted(here.glob("*.py")):
    print(f"== {script.name}", flush=True)
    if subprocess.call([sys.executable, str(script)], cwd=here.parent.parent) != 0:
        failed.append(script.name)
if failed:
    sys.exit(f"failed: {', '.join(failed)}")
