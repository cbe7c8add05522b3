-- 0002_retention: what the retention and partition jobs need on PostgreSQL.
--
-- issue_recount lists the issues whose aggregates must be recomputed because some of their
-- events were removed; rows are written in the same transaction as the removal and taken
-- (FOR UPDATE SKIP LOCKED) by the recount, so an interrupted run is finished by the next.
--
-- snag_events_add_partitions() is redefined so that a day whose rows already sit in the
-- default partition (maintenance fell behind, or clocks jumped) still gets its partition:
-- the new table is filled with those rows and then attached, instead of CREATE … PARTITION
-- OF failing on them. snag_events_drop_partitions() drops the expired days.
-- Runs inside the migration runner's transaction: no BEGIN/COMMIT here.

CREATE TABLE issue_recount (
    issue_id bigint PRIMARY KEY
);

CREATE OR REPLACE FUNCTION snag_events_add_partitions(first date, days integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    d date;
    part text;
    made integer := 0;
    lo double precision;
BEGIN
    FOR i IN 0 .. days - 1 LOOP
        d := first + i;
        part := 'events_' || to_char(d, 'YYYYMMDD');
        CONTINUE WHEN to_regclass(part) IS NOT NULL;
        lo := extract(epoch FROM d::timestamp);
        -- no insert may reach the default partition between the move and the attach
        LOCK TABLE events_default IN SHARE ROW EXCLUSIVE MODE;
        EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS)', part);
        EXECUTE format('WITH m AS (DELETE FROM events_default WHERE received >= %s '
                       'AND received < %s RETURNING *) INSERT INTO %I SELECT * FROM m',
                       lo, lo + 86400, part);
        EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
                       part, lo, lo + 86400);
        made := made + 1;
    END LOOP;
    RETURN made;
END
$$;

-- Drops the daily partitions whose day ended at or before cutoff (epoch seconds), after
-- recording the issues of their events in issue_recount; returns how many it dropped.
CREATE FUNCTION snag_events_drop_partitions(cutoff double precision) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    part text;
    made integer := 0;
BEGIN
    FOR part IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_[0-9]{8}$'
          AND extract(epoch FROM to_date(substr(c.relname, 8), 'YYYYMMDD')::timestamp)
              + 86400 <= cutoff
        ORDER BY c.relname
    LOOP
        EXECUTE format('INSERT INTO issue_recount (issue_id) SELECT DISTINCT issue_id FROM %I '
                       'ON CONFLICT DO NOTHING', part);
        EXECUTE format('DROP TABLE %I', part);
        made := made + 1;
    END LOOP;
    RETURN made;
END
$$;
