-- Price history and early warnings, written by the price desk (not the persister): candles per
-- series and interval, the daily category index, and alerts. Rows are upserted by their natural
-- keys, so the desk's rebuild at start writes nothing twice.

CREATE TABLE candles (
    series TEXT NOT NULL,
    interval TEXT NOT NULL,
    start_ms BIGINT NOT NULL,
    open NUMERIC(20, 4) NOT NULL,
    high NUMERIC(20, 4) NOT NULL,
    low NUMERIC(20, 4) NOT NULL,
    close NUMERIC(20, 4) NOT NULL,
    volume NUMERIC(20, 3) NOT NULL,
    amount NUMERIC(20, 2) NOT NULL,
    trades INTEGER NOT NULL,
    PRIMARY KEY (series, interval, start_ms)
);

CREATE TABLE price_index (
    category TEXT NOT NULL,
    day_ms BIGINT NOT NULL,
    index_value NUMERIC(12, 2) NOT NULL,
    trades INTEGER NOT NULL,
    PRIMARY KEY (category, day_ms)
);

CREATE TABLE alerts (
    seq BIGINT NOT NULL,
    code TEXT NOT NULL,
    deal BIGINT NOT NULL,
    rule TEXT NOT NULL,
    region INTEGER NOT NULL,
    ts_ms BIGINT NOT NULL,
    figures TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (seq, code, deal)
);
CREATE INDEX alerts_region ON alerts (region, ts_ms);
