"""Tooling around the generators: ``preview`` (montages) and ``cli`` (``synthzoo generate``)."""
