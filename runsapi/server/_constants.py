"""Every default number and name the local server uses, in one place."""

from __future__ import annotations

HOST = "127.0.0.1"
GRAPHQL_PATH = "/graphql"
FILES_PATH = "/files"
ADMIN_PATH = "/_runsapi"

# The default account of a LocalServer. Keys follow the official client's format check:
# at least 40 characters of [A-Za-z0-9_-], where anything before a "-" is a prefix that
# does not count, so generated keys are hex.
DEFAULT_USERNAME = "demo"
API_KEY_BYTES = 20  # token_hex(20) gives 40 characters
MIN_API_KEY_LENGTH = 40
DEFAULT_PROJECT = "uncategorized"

# Page sizes, when a query gives no `first`; larger requests are capped.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 10_000

# Sampling defaults: `history`/`events` without `samples` (the official client's default is
# 500), and a cap on any single answer.
DEFAULT_HISTORY_SAMPLES = 500
DEFAULT_EVENTS_SAMPLES = 500
MAX_SAMPLES = 1_000_000
HISTORY_TAIL_ROWS = 10

# Distinct query texts kept parsed and validated.
DOCUMENT_CACHE_SIZE = 256

# SQLite.
BUSY_TIMEOUT_MS = 30_000
INSERT_BATCH_ROWS = 50_000

# LocalServer lifecycle, in seconds.
STARTUP_TIMEOUT = 20.0
STARTUP_POLL_INTERVAL = 0.01
GRACEFUL_SHUTDOWN_TIMEOUT = 1.0

# Fault injection: how long "hang" sleeps unless told otherwise.
DEFAULT_HANG_SECONDS = 30.0
FAULT_MESSAGE = "fault injected by the runsapi local server"

UPLOAD_HEADERS = ("Content-Type:application/octet-stream",)
SERVER_FEATURES = (
    "MARK_RUN_FILES_UPLOADED",
    "TOTAL_COUNT_IN_FILE_CONNECTION",
    "UPDATE_RUN_STATE",
    "ARTIFACT_DIGEST_ALGORITHM",
    "USE_ARTIFACT_WITH_ENTITY_AND_PROJECT_INFORMATION",
)
