"""runsapi's facade, written once in async; runsapi/_sync/ is rewritten from it."""
