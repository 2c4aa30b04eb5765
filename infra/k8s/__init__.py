"""Kubernetes manifests of ShopStream: a Kustomize base and overlays, partly generated from the registries.

``python -m infra.k8s generate`` writes ``base/generated/``; ``python -m infra.k8s check`` fails when
the committed files drift from ``schemas/topics.py`` or ``infra/services.py``.
"""
