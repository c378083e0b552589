"""The domain: plain functions that know nothing of HTTP or Chalice."""
