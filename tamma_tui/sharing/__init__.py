"""Privacy-preserving sharing with the Test Platform.

The client side builds a bundle by allowlist (``bundle``), names configs by keyed
pseudonyms (``pseudonyms``), checks consent (``consent``), signs (``signing``) and sends
(``client``). ``server/`` is the aggregator: its own store, signature checks and
differentially private releases; it imports nothing above it.
"""
