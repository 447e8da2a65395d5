"""The HTTP layer shared by every blueprint: content negotiation, error answers, input guards, the session
cookie, templates' helpers, CSV and uploads, and the /health and /openapi.json endpoints.

Feature services never import from here: they raise app.exceptions, which app/web/errors.py turns into answers.
"""
