"""Orders: storing order lines and their status rules, syncing, importing."""
