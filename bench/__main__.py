"""`python -m bench [PART ...]`: run the benchmarks and print their figures.

Each part is a module of this package with a `run() -> None` that prints its own figures.
Options after a single part go to that part's `run(argv)`: `python -m bench scale --stores
5,25,100`, `python -m bench dashboard --stores 100`; `python -m bench` alone runs every part
with its defaults.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

PARTS = ["simulator", "loader", "legacy", "dbt", "dashboard", "access", "scale"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("parts", nargs="*", help=f"parts to run, of {', '.join(PARTS)} (all)")
    args, extra = parser.parse_known_args(argv)
    if extra and len(args.parts) != 1:
        parser.error(f"options {' '.join(extra)} need exactly one part to go to")
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
        module.run(extra) if extra else module.run()
        print(f"({part}: {time.perf_counter() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
