-- The decision log, version 1: one row per record (a decision, or a checkpoint of what was pruned), in
-- chain order, and one row per requested item for the filters and counts. {BLOB} and {SEQ} are the
-- store's own types (BLOB/INTEGER in SQLite, BYTEA/BIGINT in PostgreSQL); nothing else differs.
CREATE TABLE warrant_decisions (
    seq             {SEQ} PRIMARY KEY,      -- place in the chain: 1, 2, 3 ... (pruned ranges leave gaps)
    id              TEXT NOT NULL UNIQUE,   -- UUIDv7: time-ordered
    kind            TEXT NOT NULL,          -- decision | checkpoint
    made_at         TEXT NOT NULL,          -- when it was made, UTC, ISO 8601 to the microsecond
    decided_on      TEXT,                   -- the date it was decided as at
    outcome         TEXT,
    request_id      TEXT,
    rulebase_name   TEXT,
    rulebase_sha256 TEXT,
    engine          TEXT,
    batch           TEXT,                   -- a batch's key (its input and settings), for --resume
    line            {SEQ},                  -- the batch line it answered
    body            {BLOB} NOT NULL,        -- the record: canonical JSON, zlib-compressed
    decision        {BLOB},                 -- the decision as printed (JSON, traces included), zlib-compressed;
                                            -- the body holds its sha256, so the chain covers it too
    content_sha256  TEXT NOT NULL,          -- sha256 of the uncompressed body
    prev_sha256     TEXT NOT NULL,          -- the previous record's sha256 (64 zeros for the first)
    sha256          TEXT NOT NULL           -- sha256(prev_sha256 bytes + content_sha256 bytes)
);
CREATE INDEX warrant_decisions_made_at ON warrant_decisions (made_at);
CREATE INDEX warrant_decisions_decided_on ON warrant_decisions (decided_on);
CREATE INDEX warrant_decisions_rulebase ON warrant_decisions (rulebase_sha256);
CREATE INDEX warrant_decisions_batch ON warrant_decisions (batch, line);
CREATE TABLE warrant_decision_items (
    seq      {SEQ} NOT NULL,
    item     TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    rule     TEXT,                          -- a deciding rule (NULL: none decided it, e.g. no permission)
    policy   TEXT                           -- the deciding rule's policy (NULL: a general rule)
);
CREATE INDEX warrant_decision_items_seq ON warrant_decision_items (seq);
CREATE INDEX warrant_decision_items_rule ON warrant_decision_items (rule);
CREATE INDEX warrant_decision_items_policy ON warrant_decision_items (policy);
