-- 0009_ingest_fks: the tables every ingested event writes to (events, event_ids, issue_users)
-- lose their foreign keys, which cost PostgreSQL one lookup query per row and key (about a
-- sixth of the ingest writer's time on the server). What they guaranteed still holds:
-- - Inserts: ingest locks every issue it writes to with snag_lock_issues() (FOR UPDATE, held
--   to commit) before it inserts the events and issue users pointing at them, and that fails
--   the batch (serialization_failure: the node answers 503 and the SDK retries) when one of
--   them was deleted or merged away since the batch looked it up. An issue's project cannot
--   go while the issue exists (issues keep their foreign key to projects), so an event_id
--   claimed for a project deleted meanwhile rolls back with the batch as well.
-- - Deletes: what ON DELETE CASCADE did, statement triggers with transition tables now do —
--   removing issues removes their events (with their event ids) and issue users, removing
--   projects the rest of their event ids (their issues, and so their events, go by the
--   issues' own cascade).
-- Runs inside the migration runner's transaction.

ALTER TABLE events DROP CONSTRAINT IF EXISTS events_project_id_fkey;
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_issue_id_fkey;
ALTER TABLE event_ids DROP CONSTRAINT IF EXISTS event_ids_project_id_fkey;
ALTER TABLE issue_users DROP CONSTRAINT IF EXISTS issue_users_issue_id_fkey;

CREATE FUNCTION snag_lock_issues(ids bigint[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    SELECT count(*) INTO n FROM (SELECT id FROM issues WHERE id = ANY(ids) ORDER BY id FOR UPDATE) l;
    IF n <> (SELECT count(DISTINCT x) FROM unnest(ids) AS x) THEN
        RAISE EXCEPTION 'an issue of the batch is gone' USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN n;
END
$$;

CREATE FUNCTION snag_issues_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_ids x USING events e, gone g
        WHERE e.issue_id = g.id AND x.project_id = e.project_id AND x.event_id = e.event_id;
    DELETE FROM events e USING gone g WHERE e.issue_id = g.id;
    DELETE FROM issue_users u USING gone g WHERE u.issue_id = g.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER issues_deleted AFTER DELETE ON issues
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION snag_issues_deleted();

CREATE FUNCTION snag_projects_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_ids x USING gone g WHERE x.project_id = g.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER projects_deleted AFTER DELETE ON projects
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION snag_projects_deleted();
