"""The behaviour suite, written once in async; tests/behaviour/_sync is its sync twin."""
