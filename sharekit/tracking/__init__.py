"""Tracking: short links, channels, click statistics and the redirect server."""
