"""Infrastructure that knows nothing of sharekit's domains: money, time, HTTP."""
