"""Allow ``python -m infra.local_kafka``."""

import sys

from infra.local_kafka.cli import main

sys.exit(main())
