"""Model zoo: architectures, registry, weight cards, verified downloads and training."""
