"""solver/ is a pure engine: importing all of it pulls in no web or database library (STYLE.md)."""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import solver

FORBIDDEN = ("app", "fastapi", "starlette", "sqlmodel", "sqlalchemy", "alembic", "uvicorn")
SOLVER_DIR = Path(solver.__file__).parent


def test_no_solver_module_imports_the_service_or_a_database_library():
    offenders = []
    for path in SOLVER_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_every_solver_module_loads_no_forbidden_package():
    modules = [f"solver.{m.name}" for m in pkgutil.iter_modules([str(SOLVER_DIR)])]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(k for k in sys.modules if k.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_simulate_command_does_not_load_the_service():
    code = (
        "import sys\nfrom app import simulate_cli\n"
        f"print(sorted(k for k in sys.modules if k.split('.')[0] in {FORBIDDEN[1:]!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
