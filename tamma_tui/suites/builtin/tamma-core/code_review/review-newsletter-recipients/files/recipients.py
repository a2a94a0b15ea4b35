"""Build the recipient list for the weekly newsletter.

E-mail addresses are compared case-insensitively everywhere in this module: the
unsubscribe page stores whatever the user typed, and the CRM export has its own casing.
"""

from __future__ import annotations

import re
from typing import Iterable

ADDRESS_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
MAX_RECIPIENTS_PER_BATCH = 500


def normalise(address: str) -> str:
    """Canonical form used for comparisons."""
    return address.strip()


def build_recipient_list(crm_addresses: Iterable[str], unsubscribed: Iterable[str]) -> list[str]:
    """Valid, unique, still-subscribed addresses in CRM order."""
    blocked = {normalise(a) for a in unsubscribed}
    seen: list[str] = []
    recipients: list[str] = []
    for raw in crm_addresses:
        address = normalise(raw)
        if not ADDRESS_RE.match(address):
            continue
        if address in blocked:
            continue
        if address in seen:
            continue
        seen.append(address)
        recipients.append(address)
    return recipients


def batches(recipients: list[str], size: int = MAX_RECIPIENTS_PER_BATCH) -> list[list[str]]:
    """Split the list into chunks the mail provider accepts in a single call."""
    if size < 1:
        raise ValueError("batch size must be positive")
    return [recipients[i:i + size] for i in range(0, len(recipients), size)]
