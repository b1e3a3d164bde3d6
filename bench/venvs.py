"""The peers' virtual environments: one per requirements file in bench/requirements, under .build/bench-venvs,
made on first use and made again when the file changes."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REQUIREMENTS = REPO / "bench" / "requirements"
VENVS = REPO / ".build" / "bench-venvs"


def venv(name: str) -> Path:
    """The venv for bench/requirements/<name>.txt, installed if missing or stale; returns its bin directory."""
    requirements = REQUIREMENTS / f"{name}.txt"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    home = VENVS / name
    stamp = home / ".requirements-sha256"
    if stamp.exists() and stamp.read_text() == wanted:
        return home / "bin"
    shutil.rmtree(home, ignore_errors=True)
    print(f"installing {name} into {home.relative_to(REPO)} …", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(home)], check=True, timeout=300)
    subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(requirements)], check=True, timeout=1800)
    stamp.write_text(wanted)
    return home / "bin"
