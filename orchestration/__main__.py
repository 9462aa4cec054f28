"""`python -m orchestration`: serve footfall on Dagster (`make run`), or run it once."""

import sys

from orchestration.cli import main

if __name__ == "__main__":
    sys.exit(main())
