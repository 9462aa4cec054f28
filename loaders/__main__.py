"""`python -m loaders`: load the sensor API into the warehouse (see `--help`)."""

import sys

from loaders.cli import main

sys.exit(main())
