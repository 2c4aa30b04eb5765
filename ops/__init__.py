"""Operator commands on a running (or stopped) ShopStream: the tools on top of the services.

``python -m ops dead-letters ...`` lists, shows and re-drives dead letters; ``python -m ops rebuild
...`` rebuilds one stopped processor from Kafka. They talk to Kafka and the schema registry with the
same settings as the services (``KAFKA_*``, ``SCHEMA_*``, ``PROCESSOR_DATA_DIR``); they are tools, the
top layer (``[tool.importlinter]`` in pyproject.toml).
"""
