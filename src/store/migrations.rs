//! Versioned schema of the workspace. Each migration runs once, in a transaction, and bumps
//! `PRAGMA user_version`; an older file is upgraded in place when it is opened.

pub const MIGRATIONS: &[&str] = &[
    // 1: the core loop.
    r#"
CREATE TABLE databases (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    domain      TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL,
    path        TEXT NOT NULL,
    fingerprint TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE TABLE examples (
    id          INTEGER PRIMARY KEY,
    db_id       INTEGER NOT NULL REFERENCES databases(id),
    question    TEXT NOT NULL,
    gold_sql    TEXT NOT NULL,
    evidence    TEXT,
    difficulty  TEXT,
    split       TEXT NOT NULL DEFAULT 'train',
    source      TEXT NOT NULL,
    provenance  TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (db_id, question, gold_sql)
);
CREATE INDEX examples_db ON examples(db_id);
CREATE TABLE candidates (
    id          INTEGER PRIMARY KEY,
    example_id  INTEGER NOT NULL REFERENCES examples(id),
    model       TEXT NOT NULL,
    sql         TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('ok','error','timeout','too_many_rows')),
    error       TEXT,
    result_fp   TEXT,
    verdict     TEXT NOT NULL CHECK (verdict IN ('correct','wrong','gold_error')),
    reason      TEXT NOT NULL DEFAULT '',
    latency_ms  REAL NOT NULL DEFAULT 0,
    samples     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (example_id, model, sql)
);
CREATE INDEX candidates_example ON candidates(example_id);
CREATE TABLE pairs (
    id           INTEGER PRIMARY KEY,
    example_id   INTEGER NOT NULL REFERENCES examples(id),
    chosen_sql   TEXT NOT NULL,
    rejected_id  INTEGER NOT NULL REFERENCES candidates(id),
    rejected_sql TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending','accepted','rejected','skipped')),
    note         TEXT NOT NULL DEFAULT '',
    decided_at   TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (example_id, rejected_sql)
);
CREATE INDEX pairs_status ON pairs(status, id);
-- Append-only: every decision, note and edit, so undo and audit never lose anything.
CREATE TABLE pair_events (
    id          INTEGER PRIMARY KEY,
    pair_id     INTEGER NOT NULL REFERENCES pairs(id),
    action      TEXT NOT NULL,
    old_status  TEXT NOT NULL,
    new_status  TEXT NOT NULL,
    old_note    TEXT NOT NULL DEFAULT '',
    new_note    TEXT NOT NULL DEFAULT '',
    old_chosen  TEXT,
    new_chosen  TEXT,
    undone      INTEGER NOT NULL DEFAULT 0,
    at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX pair_events_pair ON pair_events(pair_id);
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    parent      TEXT,
    config      TEXT NOT NULL DEFAULT '{}',
    status      TEXT NOT NULL DEFAULT 'running'
                CHECK (status IN ('running','done','failed','stopped')),
    pid         INTEGER,
    step        INTEGER NOT NULL DEFAULT 0,
    total_steps INTEGER NOT NULL DEFAULT 0,
    checkpoint  TEXT,
    message     TEXT NOT NULL DEFAULT '',
    started_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    ended_at    TEXT
);
CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    step   INTEGER NOT NULL,
    name   TEXT NOT NULL,
    value  REAL NOT NULL,
    PRIMARY KEY (run_id, name, step)
) WITHOUT ROWID;
CREATE TABLE evals (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER REFERENCES runs(id),
    model          TEXT NOT NULL,
    split          TEXT NOT NULL,
    metric         TEXT NOT NULL,
    n              INTEGER NOT NULL,
    correct        INTEGER NOT NULL,
    per_db         TEXT NOT NULL DEFAULT '{}',
    per_difficulty TEXT NOT NULL DEFAULT '{}',
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
"#,
    // 2: provenance of model calls, and the background jobs other processes can watch.
    r#"
CREATE TABLE llm_exchanges (
    id          INTEGER PRIMARY KEY,
    purpose     TEXT NOT NULL,
    endpoint    TEXT NOT NULL,
    model       TEXT NOT NULL,
    params      TEXT NOT NULL DEFAULT '{}',
    prompt      TEXT NOT NULL,
    reply       TEXT,
    error       TEXT,
    latency_ms  REAL NOT NULL DEFAULT 0,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
ALTER TABLE examples ADD COLUMN exchange_id INTEGER REFERENCES llm_exchanges(id);
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'running',
    done        INTEGER NOT NULL DEFAULT 0,
    total       INTEGER NOT NULL DEFAULT 0,
    message     TEXT NOT NULL DEFAULT '',
    pid         INTEGER,
    started_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
"#,
    // 3: trustworthy pairs. Candidates keep the workspace metric's verdict beside a strict check of
    // the SQL as written; pairs carry flags (disputed, ambiguous_gold) with reasons, can be
    // withdrawn, and know when their gold changed; gold corrections are logged for audit and undo.
    // `pairs` is rebuilt to widen its status CHECK (foreign keys are off while migrating).
    r#"
ALTER TABLE candidates ADD COLUMN metric TEXT NOT NULL DEFAULT 'spider';
ALTER TABLE candidates ADD COLUMN strict_verdict TEXT;
ALTER TABLE candidates ADD COLUMN flags TEXT NOT NULL DEFAULT '';
ALTER TABLE candidates ADD COLUMN flag_reason TEXT NOT NULL DEFAULT '';
CREATE TABLE pairs_v3 (
    id           INTEGER PRIMARY KEY,
    example_id   INTEGER NOT NULL REFERENCES examples(id),
    chosen_sql   TEXT NOT NULL,
    rejected_id  INTEGER NOT NULL REFERENCES candidates(id),
    rejected_sql TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending','accepted','rejected','skipped','withdrawn')),
    note         TEXT NOT NULL DEFAULT '',
    decided_at   TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    flags        TEXT NOT NULL DEFAULT '',
    flag_reason  TEXT NOT NULL DEFAULT '',
    withdrawn_reason TEXT NOT NULL DEFAULT '',
    gold_changed INTEGER NOT NULL DEFAULT 0,
    UNIQUE (example_id, rejected_sql)
);
INSERT INTO pairs_v3 (id, example_id, chosen_sql, rejected_id, rejected_sql, status, note, decided_at, created_at)
    SELECT id, example_id, chosen_sql, rejected_id, rejected_sql, status, note, decided_at, created_at FROM pairs;
DROP TABLE pairs;
ALTER TABLE pairs_v3 RENAME TO pairs;
CREATE INDEX pairs_status ON pairs(status, id);
CREATE INDEX pairs_example ON pairs(example_id);
ALTER TABLE pair_events ADD COLUMN correction_id INTEGER;
ALTER TABLE pair_events ADD COLUMN annotator TEXT NOT NULL DEFAULT '';
CREATE TABLE gold_corrections (
    id          INTEGER PRIMARY KEY,
    example_id  INTEGER NOT NULL REFERENCES examples(id),
    old_sql     TEXT NOT NULL,
    new_sql     TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    annotator   TEXT NOT NULL DEFAULT '',
    -- JSON: the example's candidates and pairs as they were, and the pairs the correction made.
    snapshot    TEXT NOT NULL DEFAULT '{}',
    undone      INTEGER NOT NULL DEFAULT 0,
    at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX gold_corrections_example ON gold_corrections(example_id);
"#,
    // 4: review at speed. Each wrong candidate's failure class; decisions made together (a bulk
    // action on a filtered set) share a batch and are undone as one step.
    r#"
ALTER TABLE candidates ADD COLUMN failure_class TEXT NOT NULL DEFAULT '';
-- The sampling temperature that produced the SQL, where a sampler made it.
ALTER TABLE candidates ADD COLUMN temperature REAL;
ALTER TABLE pair_events ADD COLUMN batch_id INTEGER;
CREATE INDEX pair_events_batch ON pair_events(batch_id) WHERE batch_id IS NOT NULL;
"#,
    // 5: what a Spider-layout import said beyond sense's own fields, written back by `export
    // spider`: each database's tables.json entry, each question's record (its `sql` tree, tokens).
    r#"
CREATE TABLE database_originals (
    db_id  INTEGER PRIMARY KEY REFERENCES databases(id),
    tables TEXT NOT NULL
);
CREATE TABLE example_originals (
    example_id INTEGER PRIMARY KEY REFERENCES examples(id),
    record     TEXT NOT NULL
);
"#,
    // 6: evaluations you can watch. Which examples an evaluation used (a change in EX is shown
    // only between evaluations of the same set), and what a job works on (an evaluation's
    // checkpoint, evaluated once at a time) and for which run.
    r#"
ALTER TABLE evals ADD COLUMN examples TEXT;
ALTER TABLE evals ADD COLUMN example_set TEXT;
ALTER TABLE jobs ADD COLUMN target TEXT;
ALTER TABLE jobs ADD COLUMN run_id INTEGER;
CREATE INDEX jobs_running_target ON jobs(kind, target) WHERE status = 'running';
"#,
    // 7: how an evaluation's SQL was generated (greedy or best of k by execution, schema-bound
    // or free): two evaluations are compared only when they decoded alike.
    r#"
ALTER TABLE evals ADD COLUMN decoding TEXT;
"#,
];
