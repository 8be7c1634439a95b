"""Every default number and name runsapi uses, in one place."""

from __future__ import annotations

DEFAULT_BASE_URL = "https://api.wandb.ai"
GRAPHQL_PATH = "/graphql"

# Timeouts, in seconds. Connecting should be quick; large pages of runs or history can
# take a while to compute on the server, so reads get more room (the official client's
# 19 s limit is a common complaint).
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_WRITE_TIMEOUT = 60.0
DEFAULT_POOL_TIMEOUT = 10.0

# Retries: bounded both in attempts and in total time, unlike the official client, whose
# retry loop can run for a very long time on a persistent 5xx.
DEFAULT_MAX_RETRIES = 4
DEFAULT_RETRY_DEADLINE = 120.0
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
RETRY_JITTER = 0.25
# A Retry-After longer than this is not waited for: the error is raised instead.
MAX_RETRY_AFTER = 60.0

# The official client's default order since 2024: oldest first keeps paging stable
# while runs are being created (wandb/wandb#7675).
DEFAULT_ORDER = "+created_at"
DEFAULT_PER_PAGE = 50
# Runs listings whose `per_page` is left at its default list 50 runs first, then pages
# this many times larger each time (200, 800, 3,200...), up to the largest page a runs
# query may ask for (the local server's limit, README "The local server").
PAGE_GROWTH = 4
MAX_RUNS_PER_PAGE = 10_000
# The most sampled history rows one request may ask for (runs x samples x specs).
MAX_SAMPLED_ROWS = 500_000
# Projects are small records: the official client lists 200 a page.
DEFAULT_PROJECTS_PER_PAGE = 200
# Artifacts are small records: larger pages by default.
DEFAULT_ARTIFACTS_PER_PAGE = 100
# Where runs go when neither the call, WANDB_PROJECT nor overrides name a project.
DEFAULT_PROJECT = "uncategorized"
# Concurrent downloads of `files.download_all()`.
DEFAULT_DOWNLOAD_WORKERS = 8
# Step ranges a history scan fetches at once.
DEFAULT_SCAN_WORKERS = 4
# A runs table loads every run anyway: it lists the pages still to load this many at a
# time (at least), since the server's cost per request dominates small pages.
TABLE_PAGE_SIZE = 500
# Listed pages whose full data a runs table (or `upgrade_to_full`) loads at once.
TABLE_WORKERS = 4

# Connection pool per Api.
MAX_CONNECTIONS = 20
MAX_KEEPALIVE_CONNECTIONS = 10

# Request extension key carrying the GraphQL operation's name on httpx.Request.extensions.
OPERATION_EXTENSION = "runsapi.operation"

# The header naming the GraphQL operation, for server logs and proxies.
OPERATION_HEADER = "X-Runsapi-Operation"

ENV_API_KEY = "WANDB_API_KEY"
ENV_BASE_URL = "WANDB_BASE_URL"
ENV_ENTITY = "WANDB_ENTITY"
ENV_PROJECT = "WANDB_PROJECT"
ENV_APP_URL = "WANDB_APP_URL"
ENV_CONFIG_DIR = "WANDB_CONFIG_DIR"
ENV_DIR = "WANDB_DIR"  # where the workspace's wandb/ directory is (else the working one)
ENV_CACHE_DIR = "WANDB_CACHE_DIR"
ENV_ARTIFACT_DIR = "WANDB_ARTIFACT_DIR"
