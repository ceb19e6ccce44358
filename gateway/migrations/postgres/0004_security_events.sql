-- The security log (U-7): logins, refusals, account and operator actions, with who, from where and
-- when. Written by the gateway's security log, never by the persister: it is not engine state.
-- `region_path` is the region the entry belongs to, from the province down ("330000/330100/"), so
-- that an operator of a region reads its own and those below with one prefix match.

CREATE TABLE security_events (
    id BIGSERIAL PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    kind TEXT NOT NULL,
    login TEXT,
    user_id BIGINT,
    participant_id BIGINT,
    region_path TEXT NOT NULL,
    address TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    code TEXT,
    action TEXT,
    request_id TEXT
);

CREATE INDEX security_events_by_region ON security_events (region_path text_pattern_ops, id);
