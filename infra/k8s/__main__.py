"""``python -m infra.k8s generate|check``: write, or verify, the generated Kubernetes manifests."""

from __future__ import annotations

import argparse
import sys

from infra.k8s import manifests


def main(argv: list[str] | None = None) -> int:
    """Run one command; 1 when ``check`` finds a generated file out of date."""
    parser = argparse.ArgumentParser(prog="python -m infra.k8s", description=__doc__)
    parser.add_argument("command", choices=["generate", "check"])
    args = parser.parse_args(argv)
    if args.command == "generate":
        for path in manifests.write():
            sys.stdout.write(f"wrote {path.relative_to(manifests.K8S_DIR.parents[1])}\n")
        return 0
    stale = manifests.stale()
    for path in stale:
        sys.stderr.write(f"out of date: {path} (run: python -m infra.k8s generate)\n")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
