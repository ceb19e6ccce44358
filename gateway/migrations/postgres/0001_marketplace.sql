-- The marketplace's record for budget reconciliation and reporting. Rows come only from the
-- journal, through the persister, keyed by (engine sequence, event index); money is exact NUMERIC.

CREATE TABLE journal_offsets (
    consumer TEXT PRIMARY KEY,
    seq BIGINT NOT NULL
);

CREATE TABLE regions (
    code INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    parent INTEGER REFERENCES regions (code),
    level TEXT NOT NULL,
    seq BIGINT NOT NULL
);

CREATE TABLE participants (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    credit_code TEXT UNIQUE,
    region INTEGER REFERENCES regions (code),
    seq BIGINT NOT NULL
);
CREATE INDEX participants_region ON participants (region);

CREATE TABLE budget_lines (
    id BIGINT PRIMARY KEY,
    purchaser BIGINT NOT NULL REFERENCES participants (id),
    fiscal_year INTEGER NOT NULL,
    project TEXT NOT NULL,
    line_code TEXT NOT NULL,
    allocated NUMERIC(20, 2) NOT NULL DEFAULT 0,
    held NUMERIC(20, 2) NOT NULL DEFAULT 0,
    committed NUMERIC(20, 2) NOT NULL DEFAULT 0,
    paid NUMERIC(20, 2) NOT NULL DEFAULT 0,
    seq BIGINT NOT NULL,
    UNIQUE (purchaser, fiscal_year, project, line_code)
);

CREATE TABLE ledger_entries (
    seq BIGINT NOT NULL,
    idx INTEGER NOT NULL,
    line BIGINT NOT NULL REFERENCES budget_lines (id),
    kind TEXT NOT NULL,
    amount NUMERIC(20, 2) NOT NULL,
    deal BIGINT,
    user_id BIGINT NOT NULL,
    ts_ms BIGINT NOT NULL,
    PRIMARY KEY (seq, idx)
);
CREATE INDEX ledger_entries_line ON ledger_entries (line, seq);
CREATE INDEX ledger_entries_deal ON ledger_entries (deal);

CREATE TABLE trades (
    seq BIGINT NOT NULL,
    leg INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    mode TEXT NOT NULL,
    deal BIGINT NOT NULL,
    purchaser BIGINT NOT NULL,
    supplier BIGINT NOT NULL,
    product BIGINT NOT NULL,
    agreement BIGINT,
    quantity NUMERIC(20, 3) NOT NULL,
    unit_price NUMERIC(20, 4) NOT NULL,
    amount NUMERIC(20, 2) NOT NULL,
    budget_line BIGINT NOT NULL REFERENCES budget_lines (id),
    region INTEGER NOT NULL,
    ts_ms BIGINT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (seq, leg)
);
CREATE INDEX trades_region_time ON trades (region, ts_ms);
CREATE INDEX trades_purchaser_time ON trades (purchaser, ts_ms);
CREATE INDEX trades_supplier_time ON trades (supplier, ts_ms);
CREATE INDEX trades_product_time ON trades (product, ts_ms);
CREATE INDEX trades_budget_line ON trades (budget_line);

CREATE TABLE settlement_steps (
    seq BIGINT NOT NULL,
    idx INTEGER NOT NULL,
    trade_seq BIGINT NOT NULL,
    trade_leg INTEGER NOT NULL,
    step TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    ts_ms BIGINT NOT NULL,
    PRIMARY KEY (seq, idx),
    FOREIGN KEY (trade_seq, trade_leg) REFERENCES trades (seq, leg)
);
CREATE INDEX settlement_steps_trade ON settlement_steps (trade_seq, trade_leg);
