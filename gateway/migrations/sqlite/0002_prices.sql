-- Price history and early warnings, written by the price desk (not the persister): candles per
-- series and interval, the daily category index, and alerts. Money in integer minor units (0.0001
-- yuan for prices, 0.001 for quantities, fen for amounts); the index in hundredths. Rows are
-- upserted by their natural keys, so the desk's rebuild at start writes nothing twice.

CREATE TABLE candles (
    series TEXT NOT NULL,
    interval TEXT NOT NULL,
    start_ms BIGINT NOT NULL,
    open BIGINT NOT NULL,
    high BIGINT NOT NULL,
    low BIGINT NOT NULL,
    close BIGINT NOT NULL,
    volume BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    trades INTEGER NOT NULL,
    PRIMARY KEY (series, interval, start_ms)
);

CREATE TABLE price_index (
    category TEXT NOT NULL,
    day_ms BIGINT NOT NULL,
    index_value BIGINT NOT NULL,
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
