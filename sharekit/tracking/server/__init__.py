"""The click server: short-code redirects that record every click (see app.py, recorder.py)."""
