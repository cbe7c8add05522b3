-- 0010_issue_hot: ingest updates the counters of every issue in a batch (times_seen,
-- last_seen, …). When an indexed column changes, PostgreSQL cannot update the row in place
-- (a HOT update): it writes a new entry into every index of the table, and the dead entries
-- bloat them. last_seen and times_seen changed on every batch, so each update of an issue
-- cost six index insertions; without them the ingest update costs about half as much.
-- - The issue list's default order (last seen) keeps an index through last_seen_minute,
--   floor(last_seen / 60), which changes at most once a minute per issue: the list reads it
--   newest minute first and sorts within a minute (an incremental sort).
-- - Sorting by event count likewise, through times_seen_digits, the number of decimal digits
--   of times_seen.
-- Every statement that writes last_seen or times_seen is followed by one that recomputes these
-- (STORE_PG_SORT_KEYS_SET, store_int.h; for ingest, which finds something to change about once
-- a minute per issue, PG_ING_ISSUE_SORT_KEYS). Not a trigger or a generated column: either
-- made ingest's update as dear as the indexes did.
-- Runs inside the migration runner's transaction.

ALTER TABLE issues ADD COLUMN last_seen_minute bigint NOT NULL DEFAULT 0,
    ADD COLUMN times_seen_digits integer NOT NULL DEFAULT 1;
UPDATE issues SET last_seen_minute = floor(last_seen / 60),
    times_seen_digits = length(times_seen::text);

DROP INDEX issues_project_last_seen;
DROP INDEX issues_project_times_seen;
CREATE INDEX issues_project_last_seen ON issues (project_id, last_seen_minute);
CREATE INDEX issues_project_times_seen ON issues (project_id, times_seen_digits);
-- room on each page for the next version of its rows
ALTER TABLE issues SET (fillfactor = 70);
