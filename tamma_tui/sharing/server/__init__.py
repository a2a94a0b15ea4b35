"""The aggregator (the Test Platform side). Imports only the wire format, the store below
it, ``cryptography`` and OpenDP; nothing from services, commands or the app."""
