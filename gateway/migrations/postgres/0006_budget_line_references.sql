-- Ledger entries and trades name the budget line they move. A foreign key checked that row by row:
-- for every row, a lookup and a row lock on the budget line (a write to its page and to the WAL),
-- which cost the persister as much as the rows themselves. The persister now checks the lines a
-- batch names in one statement inside the batch's transaction (a batch naming a line the database
-- lacks is refused whole, as the foreign key refused it), and a budget line can no longer be
-- deleted, renumbered or truncated away, so a row checked stays valid: what the foreign key
-- guaranteed still holds, for a set-at-a-time price.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_line_fkey;
ALTER TABLE trades DROP CONSTRAINT trades_budget_line_fkey;

CREATE FUNCTION budget_lines_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'budget lines are never deleted or renumbered: ledger entries and trades name them'
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER budget_lines_kept BEFORE DELETE OR UPDATE OF id ON budget_lines
    FOR EACH ROW EXECUTE FUNCTION budget_lines_are_kept();
CREATE TRIGGER budget_lines_not_truncated BEFORE TRUNCATE ON budget_lines
    FOR EACH STATEMENT EXECUTE FUNCTION budget_lines_are_kept();
