"""One module per command group; each exposes ``register(app)``. Thin: parse, call, render."""
