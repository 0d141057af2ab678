"""List or run the benchmarks.

.venv/bin/python -m benchmarks               # list them
.venv/bin/python -m benchmarks NAME [ARGS]   # run one (NAME: indicators or bench_indicators), passing ARGS on
.venv/bin/python -m benchmarks all           # run each with its defaults
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def summary(name: str) -> str:
    """First line of the module docstring, read without importing the module."""
    doc = ast.get_docstring(ast.parse((HERE / f"{name}.py").read_text())) or ""
    return doc.splitlines()[0] if doc else ""


def run(name: str, args: list[str]) -> None:
    main = importlib.import_module(f"benchmarks.{name}").main
    if inspect.signature(main).parameters:
        main(args)
    else:  # modules whose main() reads sys.argv itself
        sys.argv = [f"benchmarks.{name}", *args]
        main()


def cli(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        for name in names():
            print(f"  {name:24} {summary(name)}")
        return 0
    if argv[0] == "all":
        for name in names():
            print(f"== {name}", flush=True)
            run(name, [])
        return 0
    name = argv[0] if argv[0].startswith("bench_") else f"bench_{argv[0]}"
    if name not in names():
        print(f"no benchmark {argv[0]!r}; choose from {', '.join(names())}", file=sys.stderr)
        return 2
    run(name, argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
