"""`python -m bench [PART ...]`: run the benchmarks and print their figures.

Each part is a module of this package with a `run() -> None` that prints its own figures.
A part with options of its own takes them after its name: `python -m bench scale --stores
5,25,100` (its `main(argv)`); `python -m bench` alone runs every part with its defaults.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

PARTS = ["simulator", "loader", "legacy", "dbt", "dashboard", "access", "scale"]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) > 1 and argv[0] in PARTS and argv[1].startswith("-"):
        module = importlib.import_module(f"bench.{argv[0]}")
        return int(module.main(argv[1:]) or 0)
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("parts", nargs="*", help=f"parts to run, of {', '.join(PARTS)} (all)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    failed = []
    for part in args.parts or PARTS:
        print(f"\n=== bench: {part} ===", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{part}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{part}":
                raise
            print(f"no benchmark for {part} yet")
            failed.append(part)
            continue
        module.run()
        print(f"({part}: {time.perf_counter() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
