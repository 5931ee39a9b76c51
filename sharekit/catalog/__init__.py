"""The product catalog: pull a source into the store, list and show products.

- :mod:`.pull`: ``pull(ws, name)`` — build the configured source and store what it yields.
- :mod:`.store`: store one page of products in one transaction (price history, unlisted).
- :mod:`.query`: list, find and show stored products.
- :mod:`.admin`: the configured sources and installed kinds; check one source.
- :mod:`.images`: the product image cache.
"""
