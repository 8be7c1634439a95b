"""Every default number and name the local server uses, in one place."""

from __future__ import annotations

HOST = "127.0.0.1"
GRAPHQL_PATH = "/graphql"
FILES_PATH = "/files"
# Artifact bytes and manifests, reached through signed URLs (_signing.py), no API key.
STORAGE_PATH = "/_storage"
ADMIN_PATH = "/_runsapi"

# The default account of a LocalServer. Keys follow the official client's format check:
# at least 40 characters of [A-Za-z0-9_-], where anything before a "-" is a prefix that
# does not count, so generated keys are hex.
DEFAULT_USERNAME = "demo"
API_KEY_BYTES = 20  # token_hex(20) gives 40 characters
MIN_API_KEY_LENGTH = 40
DEFAULT_PROJECT = "uncategorized"

# Page size when a query gives no `first`.
DEFAULT_PAGE_SIZE = 50

# Sampling defaults: `history`/`events` without `samples` (the official client's default is
# 500).
DEFAULT_HISTORY_SAMPLES = 500
DEFAULT_EVENTS_SAMPLES = 500
HISTORY_TAIL_ROWS = 10

# What one GraphQL request may ask for (_limits.py); more is refused before it runs.
MAX_PAGE_SIZE = 10_000  # `first` of any paginated field
MAX_PAGE_ITEMS = 100_000  # items of all pages, a page in a page counted per outer item
MAX_FIELD_ALIASES = 5  # names one field is asked for under in one selection
MAX_LISTING_FIELDS = 10  # top-level and paginated fields, every copy counted
MAX_SAMPLED_ROWS = 500_000  # runs x samples x specs over history, events, sampledHistory
MAX_SELECTED_FIELDS = 2_000  # fields once fragments are expanded

# What one HTTP request may send, in bytes (413 past it): GraphQL and admin bodies, and
# the bytes of one file upload.
MAX_REQUEST_BYTES = 16 * 1024 * 1024
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
# Operation names the request counter keeps apart (others count as one): how many, and
# how long each may be.
MAX_COUNTED_OPERATIONS = 1_000
MAX_COUNTED_NAME_LENGTH = 200

# Distinct query texts kept parsed and validated.
DOCUMENT_CACHE_SIZE = 256

# SQLite.
BUSY_TIMEOUT_MS = 30_000
# Bytes of the database file each connection reads through a memory map (the OS's page
# cache, shared by every connection) rather than copied into SQLite's own small cache:
# a page of a filtered listing reads runs scattered over the file (issue 24).
MMAP_BYTES = 1 << 30
INSERT_BATCH_ROWS = 50_000
# How long one request's SQL may run, in seconds, before it is stopped (_budget.py): well
# under the client's 60 s read timeout, far over what any request of the clients needs.
SQL_TIME_BUDGET_SECONDS = 10.0

# LocalServer lifecycle, in seconds.
STARTUP_TIMEOUT = 20.0
STARTUP_POLL_INTERVAL = 0.01
GRACEFUL_SHUTDOWN_TIMEOUT = 1.0

# Crashed runs (_liveness.py): a streaming run whose heartbeat is older than this many
# seconds crashes (the SDK heartbeats every 30 s when idle); the app checks a fraction of
# the timeout apart, within these bounds.
DEFAULT_HEARTBEAT_TIMEOUT_SECONDS = 300.0
HEARTBEAT_CHECKS_PER_TIMEOUT = 4
MIN_HEARTBEAT_CHECK_SECONDS = 0.05
MAX_HEARTBEAT_CHECK_SECONDS = 30.0

# Fault injection: how long "hang" sleeps unless told otherwise.
DEFAULT_HANG_SECONDS = 30.0
FAULT_MESSAGE = "fault injected by the runsapi local server"

UPLOAD_HEADERS = ("Content-Type:application/octet-stream",)
MANIFEST_UPLOAD_HEADERS = ("Content-Type:application/json",)
# How long a signed storage URL stays valid, in seconds.
SIGNED_URL_SECONDS = 3600
# Where artifact blobs live, under the store's files directory.
ARTIFACT_BLOBS_DIR = "artifacts"
# Parquet history exports (_history_exports.py): their directory under the store's files
# directory; the history (as JSON text) one export file holds at most, so that a long
# run's history is several files (few: wandb-core reads every file it is done with again
# for each page it scans); the rows of a row group, decoded and written at once.
HISTORY_EXPORTS_DIR = "history"
HISTORY_EXPORT_PART_BYTES = 256 * 1024 * 1024
HISTORY_EXPORT_ROW_GROUP_ROWS = 32_768
# How many missing files a refused commit names.
MISSING_FILES_NAMED = 5
# The runsapi extension `mergeRunChanges` (schema.graphql), named in W&B's style.
MERGE_RUN_CHANGES = "MERGE_RUN_CHANGES"
# What `serverInfo.features` lists; a server enables all of them unless told otherwise.
SERVER_FEATURES = frozenset(
    {
        "MARK_RUN_FILES_UPLOADED",
        "TOTAL_COUNT_IN_FILE_CONNECTION",
        "UPDATE_RUN_STATE",
        "ARTIFACT_DIGEST_ALGORITHM",
        "USE_ARTIFACT_WITH_ENTITY_AND_PROJECT_INFORMATION",
        "SWEEPS_QUERY_FILTERING",
        MERGE_RUN_CHANGES,
    }
)
