"""Allow ``python -m infra.local_registry``."""

import sys

from infra.local_registry.cli import main

sys.exit(main())
