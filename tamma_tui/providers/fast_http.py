"""Wave-1 import path of the keep-alive client; it lives in ``providers/http/keepalive.py``."""

from .http.keepalive import FastHTTPClient  # noqa: F401
