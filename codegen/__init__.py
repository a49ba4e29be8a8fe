"""Schema → pydantic codec generator: discover → lower → render → write (or check)."""
