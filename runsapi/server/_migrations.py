"""The database schema, as an ordered list of migrations recorded in `schema_version`."""

from __future__ import annotations

import sqlite3

# Each entry upgrades the database from version i to i + 1. Append, never edit.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE entities (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        is_team INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        email TEXT,
        admin INTEGER NOT NULL DEFAULT 0,
        entity_id INTEGER NOT NULL REFERENCES entities(id)
    );
    CREATE TABLE api_keys (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        key_hash TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL
    );
    CREATE TABLE memberships (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, entity_id)
    ) WITHOUT ROWID;
    CREATE TABLE projects (
        id INTEGER PRIMARY KEY,
        entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
        user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        name TEXT NOT NULL,
        description TEXT,
        access TEXT NOT NULL DEFAULT 'PRIVATE',
        views TEXT,
        is_benchmark INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        UNIQUE (entity_id, name)
    );
    CREATE TABLE sweeps (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        display_name TEXT,
        method TEXT NOT NULL,
        state TEXT NOT NULL,
        description TEXT,
        best_loss REAL,
        config TEXT NOT NULL,
        run_count_expected INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT,
        UNIQUE (project_id, name)
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        name TEXT NOT NULL,
        display_name TEXT,
        state TEXT NOT NULL,
        group_name TEXT,
        job_type TEXT,
        sweep_name TEXT,
        notes TEXT,
        description TEXT,
        commit_hash TEXT,
        host TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        config TEXT NOT NULL DEFAULT '{}',
        config_q TEXT NOT NULL DEFAULT '{}',
        summary TEXT NOT NULL DEFAULT '{}',
        summary_q TEXT NOT NULL DEFAULT '{}',
        system_metrics TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        heartbeat_at TEXT,
        updated_at TEXT,
        stopped INTEGER NOT NULL DEFAULT 0,
        read_only INTEGER NOT NULL DEFAULT 0,
        history_line_count INTEGER NOT NULL DEFAULT 0,
        last_step INTEGER NOT NULL DEFAULT -1,
        events_line_count INTEGER NOT NULL DEFAULT 0,
        log_line_count INTEGER NOT NULL DEFAULT 0,
        UNIQUE (project_id, name)
    );
    CREATE INDEX runs_created ON runs (project_id, created_at, id);
    CREATE INDEX runs_heartbeat ON runs (project_id, heartbeat_at, id);
    CREATE INDEX runs_display_name ON runs (project_id, display_name, id);

    -- A keyset is the sorted list of keys a history row has (non-null values); rows store
    -- its id, so that rows having given keys are found through an index, not a scan.
    CREATE TABLE keysets (
        id INTEGER PRIMARY KEY,
        keys TEXT NOT NULL UNIQUE
    );
    CREATE TABLE run_keysets (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        keyset_id INTEGER NOT NULL REFERENCES keysets(id),
        PRIMARY KEY (run_id, keyset_id)
    ) WITHOUT ROWID;
    CREATE TABLE history (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        keyset_id INTEGER NOT NULL,
        row TEXT NOT NULL,
        PRIMARY KEY (run_id, step)
    ) WITHOUT ROWID;
    CREATE INDEX history_keyset ON history (run_id, keyset_id, step);
    CREATE TABLE history_key_types (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        type TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (run_id, key, type)
    ) WITHOUT ROWID;
    CREATE TABLE events (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        row TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;

    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        size_bytes INTEGER NOT NULL DEFAULT 0,
        md5 TEXT,
        mimetype TEXT,
        updated_at TEXT NOT NULL,
        UNIQUE (run_id, name)
    );

    CREATE TABLE artifact_sequences (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        type_name TEXT NOT NULL,
        UNIQUE (project_id, name)
    );
    CREATE TABLE artifacts (
        id INTEGER PRIMARY KEY,
        sequence_id INTEGER NOT NULL REFERENCES artifact_sequences(id) ON DELETE CASCADE,
        version_index INTEGER NOT NULL,
        description TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        size INTEGER NOT NULL DEFAULT 0,
        digest TEXT NOT NULL,
        file_count INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'COMMITTED',
        history_step INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT,
        UNIQUE (sequence_id, version_index)
    );
    CREATE TABLE artifact_aliases (
        id INTEGER PRIMARY KEY,
        artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
        alias TEXT NOT NULL,
        UNIQUE (artifact_id, alias)
    );
    CREATE TABLE artifact_tags (
        id INTEGER PRIMARY KEY,
        artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
        name TEXT NOT NULL
    );
    -- Which runs logged (output) or used (input) an artifact.
    CREATE TABLE run_artifacts (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
        direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
        used_as TEXT,
        PRIMARY KEY (run_id, direction, artifact_id)
    ) WITHOUT ROWID;
    CREATE INDEX run_artifacts_artifact ON run_artifacts (artifact_id);
    """,
    # How many history rows each (run, keyset) has and their first and last step, so that
    # sampling a run whose matching steps have no gaps needs no counting.
    """
    ALTER TABLE run_keysets ADD COLUMN row_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE run_keysets ADD COLUMN first_step INTEGER;
    ALTER TABLE run_keysets ADD COLUMN last_step INTEGER;
    UPDATE run_keysets SET (row_count, first_step, last_step) = (
        SELECT count(*), min(step), max(step) FROM history
        WHERE history.run_id = run_keysets.run_id AND history.keyset_id = run_keysets.keyset_id
    );
    """,
    # Artifact content. A PENDING version has no index until it is committed, so
    # `version_index` becomes nullable (a table rebuild: SQLite cannot drop NOT NULL);
    # collections number versions from `next_version`, so that a deleted version's index
    # is never reused. Blobs are content-addressed by base64 MD5, their bytes on disk
    # under `<files dir>/artifacts/<hex md5>`; `artifact_files` are a version's manifest
    # entries; aliases asked for at creation wait in `artifact_pending_aliases` until the
    # commit; `server_secret` signs storage URLs.
    """
    CREATE TABLE artifacts_rebuilt (
        id INTEGER PRIMARY KEY,
        sequence_id INTEGER NOT NULL REFERENCES artifact_sequences(id) ON DELETE CASCADE,
        version_index INTEGER,
        description TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        size INTEGER NOT NULL DEFAULT 0,
        digest TEXT NOT NULL,
        file_count INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'COMMITTED',
        history_step INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT,
        UNIQUE (sequence_id, version_index)
    );
    INSERT INTO artifacts_rebuilt SELECT id, sequence_id, version_index, description, metadata,
        size, digest, file_count, state, history_step, created_at, updated_at FROM artifacts;
    DROP TABLE artifacts;
    ALTER TABLE artifacts_rebuilt RENAME TO artifacts;
    CREATE INDEX artifacts_digest ON artifacts (sequence_id, digest);

    ALTER TABLE artifact_sequences ADD COLUMN next_version INTEGER NOT NULL DEFAULT 0;
    UPDATE artifact_sequences SET next_version = (
        SELECT coalesce(max(version_index) + 1, 0) FROM artifacts
        WHERE artifacts.sequence_id = artifact_sequences.id
    );

    CREATE TABLE artifact_blobs (
        md5 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        birth_artifact_id INTEGER REFERENCES artifacts(id) ON DELETE SET NULL,
        created_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE artifact_manifests (
        id INTEGER PRIMARY KEY,
        artifact_id INTEGER NOT NULL UNIQUE REFERENCES artifacts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        digest TEXT NOT NULL DEFAULT '',
        type TEXT NOT NULL DEFAULT 'FULL',
        md5 TEXT
    );
    CREATE TABLE artifact_files (
        id INTEGER PRIMARY KEY,
        artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        digest TEXT NOT NULL,
        size INTEGER,
        ref TEXT,
        birth_artifact_id INTEGER REFERENCES artifacts(id) ON DELETE SET NULL,
        extra TEXT NOT NULL DEFAULT '{}',
        UNIQUE (artifact_id, path)
    );
    CREATE INDEX artifact_files_birth ON artifact_files (birth_artifact_id);
    CREATE INDEX artifact_blobs_birth ON artifact_blobs (birth_artifact_id);
    CREATE TABLE artifact_pending_aliases (
        artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
        alias TEXT NOT NULL,
        PRIMARY KEY (artifact_id, alias)
    ) WITHOUT ROWID;
    CREATE INDEX artifact_aliases_alias ON artifact_aliases (alias);
    CREATE TABLE server_secret (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        secret BLOB NOT NULL
    );
    """,
    # Reports, team administration, API key descriptions, service accounts, and W&B
    # Launch's run queues (recorded, never run).
    """
    CREATE TABLE views (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        name TEXT NOT NULL,
        display_name TEXT NOT NULL,
        description TEXT,
        type TEXT NOT NULL DEFAULT 'runs',
        spec TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX views_project ON views (project_id, type, id);

    ALTER TABLE memberships ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE api_keys ADD COLUMN description TEXT;
    ALTER TABLE users ADD COLUMN account_type TEXT NOT NULL DEFAULT 'USER';
    CREATE INDEX users_email ON users (email);

    CREATE TABLE default_resource_configs (
        id INTEGER PRIMARY KEY,
        entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
        resource TEXT NOT NULL,
        config TEXT NOT NULL DEFAULT '{}',
        template_variables TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
    );
    CREATE TABLE run_queues (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        access TEXT NOT NULL DEFAULT 'PROJECT',
        prioritization_mode TEXT,
        default_resource_config_id INTEGER
            REFERENCES default_resource_configs(id) ON DELETE SET NULL,
        external_links TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        UNIQUE (project_id, name)
    );
    CREATE TABLE run_queue_items (
        id INTEGER PRIMARY KEY,
        queue_id INTEGER NOT NULL REFERENCES run_queues(id) ON DELETE CASCADE,
        state TEXT NOT NULL DEFAULT 'PENDING',
        priority INTEGER,
        run_spec TEXT NOT NULL DEFAULT '{}',
        associated_run_id TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX run_queue_items_queue ON run_queue_items (queue_id, id);

    -- API keys are listed under a public name: the first 16 hex digits of their digest.
    UPDATE api_keys SET name = substr(key_hash, 1, 16);
    CREATE UNIQUE INDEX api_keys_name ON api_keys (name);
    """,
    # Parquet history exports: a run's exported history is its parts, in step order, each
    # a file `<files dir>/history/<name>` holding the rows first_step..last_step.
    """
    CREATE TABLE history_exports (
        name TEXT PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        part INTEGER NOT NULL,
        first_step INTEGER NOT NULL,
        last_step INTEGER NOT NULL,
        row_count INTEGER NOT NULL,
        size INTEGER NOT NULL,
        UNIQUE (run_id, part)
    );
    """,
    # Runs whose process streams to them (file_stream): `watched` until they complete, so
    # that one whose heartbeat stops is found crashed (_liveness.py) through this index.
    """
    ALTER TABLE runs ADD COLUMN watched INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX runs_watched ON runs (heartbeat_at) WHERE watched = 1;
    """,
    # Runs at scale (issue 24): an index of runs by each column that orders or filters may
    # name (the row id ends every index, the tiebreaker of orders); the runs' tags one a row
    # (kept by triggers, whoever writes runs) for tag filters; and the expression indexes
    # over config and summary keys that _json_indexes creates on first use.
    """
    CREATE INDEX runs_state ON runs (project_id, state);
    CREATE INDEX runs_group ON runs (project_id, group_name);
    CREATE INDEX runs_job_type ON runs (project_id, job_type);
    CREATE INDEX runs_sweep ON runs (project_id, sweep_name);
    CREATE INDEX runs_host ON runs (project_id, host);
    CREATE INDEX runs_commit ON runs (project_id, commit_hash);
    CREATE INDEX runs_notes ON runs (project_id, notes);
    CREATE INDEX runs_description ON runs (project_id, description);
    CREATE INDEX runs_updated ON runs (project_id, updated_at);

    CREATE TABLE run_tags (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        project_id INTEGER NOT NULL,
        tag TEXT NOT NULL,
        PRIMARY KEY (run_id, tag)
    ) WITHOUT ROWID;
    CREATE INDEX run_tags_tag ON run_tags (project_id, tag, run_id);
    INSERT OR IGNORE INTO run_tags (run_id, project_id, tag)
        SELECT runs.id, runs.project_id, tag.value FROM runs, json_each(runs.tags) AS tag
        WHERE tag.type = 'text';
    CREATE TRIGGER runs_tags_insert AFTER INSERT ON runs BEGIN
        INSERT OR IGNORE INTO run_tags (run_id, project_id, tag)
            SELECT NEW.id, NEW.project_id, value FROM json_each(NEW.tags) WHERE type = 'text';
    END;
    CREATE TRIGGER runs_tags_update AFTER UPDATE OF tags, project_id ON runs BEGIN
        DELETE FROM run_tags WHERE run_id = NEW.id;
        INSERT OR IGNORE INTO run_tags (run_id, project_id, tag)
            SELECT NEW.id, NEW.project_id, value FROM json_each(NEW.tags) WHERE type = 'text';
    END;

    CREATE TABLE json_indexes (
        name TEXT PRIMARY KEY,
        column_name TEXT NOT NULL,
        path TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (column_name, path)
    );
    """,
    # The greatest common divisor of the distances between a (run, keyset)'s steps and its
    # first step (0 for one row), so that sampling rows of keys logged every k steps needs
    # no counting either (_history.py). Unknown (NULL) for the rows written before.
    """
    ALTER TABLE run_keysets ADD COLUMN step_gcd INTEGER;
    UPDATE run_keysets SET step_gcd = 0 WHERE row_count <= 1;
    """,
    # The username of a run's user, kept on the run by triggers, so that runs are ordered
    # and filtered by it through an index.
    """
    ALTER TABLE runs ADD COLUMN username TEXT;
    UPDATE runs SET username = (SELECT users.username FROM users WHERE users.id = runs.user_id);
    CREATE INDEX runs_username ON runs (project_id, username);
    CREATE INDEX runs_user ON runs (user_id);
    CREATE TRIGGER runs_username_insert AFTER INSERT ON runs WHEN NEW.user_id IS NOT NULL BEGIN
        UPDATE runs SET username = (SELECT users.username FROM users WHERE users.id = NEW.user_id)
            WHERE id = NEW.id;
    END;
    CREATE TRIGGER runs_username_update AFTER UPDATE OF user_id ON runs BEGIN
        UPDATE runs SET username = (SELECT users.username FROM users WHERE users.id = NEW.user_id)
            WHERE id = NEW.id;
    END;
    CREATE TRIGGER users_username_update AFTER UPDATE OF username ON users BEGIN
        UPDATE runs SET username = NEW.username WHERE user_id = NEW.id;
    END;
    CREATE TRIGGER users_username_delete BEFORE DELETE ON users BEGIN
        UPDATE runs SET username = NULL WHERE user_id = OLD.id;
    END;
    """,
    # A history row's rank among its (run, keyset)'s rows (steps only increase), so that
    # rows of a key logged at irregular steps are sampled by rank without listing the
    # steps (_history.py). Rows written before have none: a (run, keyset) has ranks from
    # `ranked_from` on (its row count now; 0 for one created later).
    """
    ALTER TABLE history ADD COLUMN ordinal INTEGER;
    CREATE INDEX history_ordinal ON history (run_id, keyset_id, ordinal)
        WHERE ordinal IS NOT NULL;
    ALTER TABLE run_keysets ADD COLUMN ranked_from INTEGER NOT NULL DEFAULT 0;
    UPDATE run_keysets SET ranked_from = row_count;
    """,
)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the database up to the latest version, one transaction per migration.

    Foreign keys are off while migrations run, as SQLite's procedure for rebuilding a
    table says (with them on, dropping the old table would delete the rows that refer to
    it); on a connection that enforces them, each migration checks them before it commits.
    """
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    current = row[0] or 0
    if current > len(MIGRATIONS):
        raise RuntimeError(f"database schema version {current} is newer than this server's")
    if current == len(MIGRATIONS):
        return
    (enforced,) = conn.execute("PRAGMA foreign_keys").fetchone()
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            _apply(conn, version, script, check=bool(enforced))
    finally:
        conn.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")


def _apply(conn: sqlite3.Connection, version: int, script: str, *, check: bool) -> None:
    # executescript commits any open transaction first, so the script opens its own and
    # leaves it open for the check and the version row.
    try:
        conn.executescript(f"BEGIN IMMEDIATE;\n{script}")
        broken = conn.execute("PRAGMA foreign_key_check").fetchall() if check else []
        if broken:
            raise RuntimeError(
                f"migration {version} would leave rows whose foreign keys point nowhere:"
                f" {broken[:5]}"
            )
        conn.execute("INSERT INTO schema_version VALUES (?)", (version,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
