-- 0002_retention: what the retention job needs on SQLite — an index to find expired events
-- by received time, and the issues whose aggregates must be recomputed because some of
-- their events were deleted. A row is written in the same transaction as the delete and
-- removed once the issue is recomputed, so an interrupted run is finished by the next one.

CREATE INDEX events_received ON events(received);

CREATE TABLE issue_recount (
    issue_id INTEGER PRIMARY KEY
);
