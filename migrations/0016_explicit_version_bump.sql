-- 0016_explicit_version_bump.sql - an UPDATE may ask for a new version without changing a column.
--
-- A contact's client relationships live in client_contacts, yet they are part of the contact
-- as edited through the API (its history records them as the contact's `client_relationships`
-- field), so replacing them must give the contact a new version: an editor holding the old
-- ETag then gets 412 instead of overwriting a set they never saw. crm_touch_row kept the old
-- version whenever no column but quiet ones changed, which also swallowed such a bump. Now an
-- UPDATE that sets `version` itself (to anything other than the stored value) always gets the
-- next version and a new updated_at, as any other change does. No statement set `version`
-- before this migration, so no existing write behaves differently.

CREATE OR REPLACE FUNCTION crm_touch_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_NARGS > 0 AND NEW.version = OLD.version THEN
        IF (to_jsonb(NEW) - TG_ARGV - 'version' - 'updated_at')
           = (to_jsonb(OLD) - TG_ARGV - 'version' - 'updated_at') THEN
            NEW.updated_at := OLD.updated_at;
            RETURN NEW;
        END IF;
    END IF;
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
