"""Test sets of unseen image types: builders, Zarr writing and lazy Dask reading."""
