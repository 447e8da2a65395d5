"""Telling customers about their orders: the outbox rows (outbox.py), the emails (emails.py), the sender (sender.py)."""
