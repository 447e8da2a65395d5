"""Defences: CSRF (csrf.py), security headers (headers.py), abuse limits (rate_limits.py) and password
guesses (guess_limits.py), private instance files (private_files.py), and the rule for what typed text may hold
(text_rules.py)."""
