-- Publication (O-1, O-2): public notices and OCDS releases, written by the publisher in one
-- transaction with its journal offset. Ids are stable (`<seq>-<event index>`), so a retry or a
-- restart writes nothing twice. Regions and categories are kept as the chain `,code,parent,...,`
-- so that a search by a city or a parent category finds what lies beneath it.

CREATE TABLE notices (
    id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    deal BIGINT NOT NULL,
    kind TEXT NOT NULL,
    mode TEXT NOT NULL,
    regions TEXT NOT NULL,
    categories TEXT NOT NULL,
    published_ms BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX notices_by_seq ON notices (seq);
CREATE INDEX notices_by_deal ON notices (deal);
CREATE INDEX notices_by_published ON notices (published_ms);

CREATE TABLE ocds_releases (
    id TEXT PRIMARY KEY,
    ocid TEXT NOT NULL,
    seq BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    date_ms BIGINT NOT NULL,
    release TEXT NOT NULL
);
CREATE INDEX ocds_releases_by_position ON ocds_releases (seq, idx);
CREATE INDEX ocds_releases_by_ocid ON ocds_releases (ocid, seq, idx);

-- What statistics count of each concluded deal (T-1), rewritten by the publisher whenever an event
-- changes the deal. Money in fen; month is the Shanghai month it concluded in, `YYYY-MM`.
CREATE TABLE deal_facts (
    deal BIGINT PRIMARY KEY,
    mode TEXT NOT NULL,
    outcome TEXT NOT NULL,
    concluded_ms BIGINT NOT NULL,
    month TEXT NOT NULL,
    region INTEGER NOT NULL,
    regions TEXT NOT NULL,
    category TEXT NOT NULL,
    categories TEXT NOT NULL,
    amount BIGINT NOT NULL,
    ceiling BIGINT,
    held BIGINT,
    participants INTEGER,
    small BIGINT NOT NULL,
    seq BIGINT NOT NULL
);
CREATE INDEX deal_facts_by_month ON deal_facts (month);
