"""``python -m infra.observability``: run every offline check of the dashboards and alert rules."""

from __future__ import annotations

import sys

from infra.observability import validate


def main() -> int:
    """Print each check's command and output; 1 when any fails or a query does not parse."""
    failed = False
    checks = (validate.check_rules, validate.run_rule_tests, validate.check_config, validate.check_dashboards)
    for check in checks:
        outcome = check()
        shown = " ".join([outcome.command[0].rsplit("/", 1)[-1], *outcome.command[1:]])
        sys.stdout.write(f"$ {shown}\n{outcome.output}")
        failed = failed or outcome.returncode != 0
    queries = validate.all_queries()
    for query in queries:
        if query.error is not None:
            sys.stdout.write(f"{query.where}: {query.error}\n")
            failed = True
    sys.stdout.write(f"{len(queries)} PromQL expressions parsed by Prometheus's parser\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
