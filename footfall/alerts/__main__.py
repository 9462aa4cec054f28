"""`python -m footfall.alerts`: print the open alerts, notify new ones, exit 1 on a critical one."""

import sys

from footfall.alerts.cli import main

if __name__ == "__main__":
    sys.exit(main())
