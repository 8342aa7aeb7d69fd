"""Find Ralph's virtualenv and talk to its xAPI models in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODELS_SERVER = Path(__file__).with_name("ralph_models.py")

STATEMENT = "ralph.models.xapi.base.statements.BaseXapiStatement"


def ralph_bin(name: str) -> Path:
    """A program of Ralph's virtualenv (RALPH_VENV, else .venv-lrs), or skip/fail without it."""
    venv = Path(os.environ.get("RALPH_VENV", REPO / ".venv-lrs"))
    program = venv / "bin" / name
    if not program.exists():
        message = f"Ralph's virtualenv is missing ({program}): run scripts/setup --lrs"
        if os.environ.get("REQUIRE_LRS"):
            pytest.fail(message)
        pytest.skip(message)
    return program


class RalphModels:
    """Ralph's pydantic xAPI models, used through one long-lived subprocess."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            # -I: neither our folders nor our PYTHON* settings reach Ralph's interpreter.
            [str(ralph_bin("python")), "-I", str(MODELS_SERVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def check(self, model: str, data: dict) -> dict:
        """Validate `data` with the model at dotted path `model`; return Ralph's parsed form."""
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"model": model, "data": data}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        assert answer["ok"], f"Ralph refuses it as {model.rpartition('.')[2]}: {answer['error']}"
        return answer["parsed"]

    def statement(self, data: dict) -> dict:
        """Validate an xAPI 1.0.3 statement."""
        return self.check(STATEMENT, data)

    def close(self) -> None:
        """End the subprocess."""
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=10)
