-- 0016_explicit_version_bump.sql - versions move when, and only when, something changed.
--
-- Two changes to crm_touch_row:
--
-- 1. An UPDATE that changes nothing keeps the version on every table, not only on those whose
--    trigger names quiet columns. A sales profile saved again unchanged got a new version (and
--    its other editors a 412) while a candidate profile kept its own; tables without quiet
--    columns now compare the row too.
-- 2. An UPDATE that sets `version` itself (to anything other than the stored value) always gets
--    the next version and a new updated_at. A contact's client relationships live in
--    client_contacts, yet they are part of the contact as edited through the API (its history
--    records them as the contact's `client_relationships` field), so replacing them gives the
--    contact a new version this way: an editor holding the old ETag then gets 412 instead of
--    overwriting a set they never saw. No statement set `version` before this migration.

CREATE OR REPLACE FUNCTION crm_touch_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- TG_ARGV names the quiet columns; it is NULL, not empty, on a trigger without arguments.
    IF NEW.version = OLD.version
       AND (to_jsonb(NEW) - coalesce(TG_ARGV, '{}') - 'version' - 'updated_at')
           = (to_jsonb(OLD) - coalesce(TG_ARGV, '{}') - 'version' - 'updated_at') THEN
        NEW.updated_at := OLD.updated_at;
        RETURN NEW;
    END IF;
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
