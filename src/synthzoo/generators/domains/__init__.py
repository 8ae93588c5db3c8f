"""One module per domain generator, each registered by one entry point in the group
``synthzoo.generators`` of ``pyproject.toml`` (nothing here imports them)."""
