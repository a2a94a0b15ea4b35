"""Wave-1 import path, kept so code written against it still works.

New code imports ``tamma_tui.providers.http`` (HTTP), ``.keys`` (API keys, redaction) and
``.tokens`` (the token estimate).
"""

from .http import *  # noqa: F401,F403
from .http import HttpxSender, ReadsToEnd, make_sender  # noqa: F401
from .keys import read_api_key, redact  # noqa: F401
from .tokens import estimate_tokens  # noqa: F401
