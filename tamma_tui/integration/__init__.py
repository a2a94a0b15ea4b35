"""Tamma integration: Tamma's configuration formats and the stores that hold them."""
