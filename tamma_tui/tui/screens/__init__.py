"""Screens: each loads its view-models from services in thread workers."""
