-- Every batch the persister writes updates the balance of each budget line it touched. Room left in
-- each page lets PostgreSQL update those rows in place (heap-only tuples), without touching the
-- table's indexes.
ALTER TABLE budget_lines SET (fillfactor = 70);
ALTER TABLE trades SET (fillfactor = 90);
