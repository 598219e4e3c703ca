-- 0014_fold_tags.sql - a tag is one tag whatever its case, on clients as on contacts.
--
-- Clients kept tags as typed, so one client could carry "VIP" and "vip", and `tag=vip` missed
-- a client tagged "VIP". Contacts folded only ASCII letters, so "Été" and "été" were two tags.
-- Both now fold with the database's lower() (core::foldTags uses the same C.UTF-8 tables), the
-- first of any duplicates keeping its place. Rows stored before are folded here; each change
-- is recorded in the row's audit trail without an actor, as the migration made it, and bumps
-- the row's version (its representation changed). The rows are read FOR UPDATE, so a server
-- still running while this applies cannot have its change overwritten by an older fold.

CREATE FUNCTION pg_temp.fold_tags(tags text[]) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(f.tag ORDER BY f.first_place), '{}')
    FROM (SELECT lower(u.tag) AS tag, min(u.place) AS first_place
          FROM unnest(tags) WITH ORDINALITY AS u(tag, place)
          GROUP BY lower(u.tag)) f
$$;

WITH folded AS (
    SELECT id, tags AS old_tags, pg_temp.fold_tags(tags) AS new_tags
    FROM clients
    WHERE tags <> pg_temp.fold_tags(tags)
    FOR UPDATE
), changed AS (
    UPDATE clients c SET tags = f.new_tags
    FROM folded f
    WHERE c.id = f.id
    RETURNING c.org_id, c.id, f.old_tags, f.new_tags
)
INSERT INTO audit_log (org_id, action, entity_type, entity_id, changes)
SELECT org_id, 'client.updated', 'client', id,
       jsonb_build_object('tags', jsonb_build_object('from', to_jsonb(old_tags), 'to', to_jsonb(new_tags)))
FROM changed;

WITH folded AS (
    SELECT id, tags AS old_tags, pg_temp.fold_tags(tags) AS new_tags
    FROM contacts
    WHERE tags <> pg_temp.fold_tags(tags)
    FOR UPDATE
), changed AS (
    UPDATE contacts c SET tags = f.new_tags
    FROM folded f
    WHERE c.id = f.id
    RETURNING c.org_id, c.id, f.old_tags, f.new_tags
)
INSERT INTO contact_profile_audit_log (org_id, contact_id, profile_type, field, old_value, new_value)
SELECT org_id, id, 'contact', 'tags', to_jsonb(old_tags), to_jsonb(new_tags)
FROM changed;

DROP FUNCTION pg_temp.fold_tags(text[]);
