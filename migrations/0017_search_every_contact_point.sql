-- 0017_search_every_contact_point.sql - q finds a contact by any of its e-mails and phones.
--
-- `q` finds a contact by any of its e-mails and phones, not only the main ones: a merge moves
-- the other contact's address into the survivor's `emails`, where the search did not look, and
-- duplicate detection already treats them all as the contact's.

-- The secondary addresses and numbers, space-separated ('' when there are none).
CREATE FUNCTION crm_contact_points_text(emails jsonb, phones jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(x.point, ' '), '')
    FROM (SELECT e.item ->> 'email' AS point
          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(emails) = 'array' THEN emails ELSE '[]' END) AS e(item)
          UNION ALL
          SELECT p.item ->> 'phone'
          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(phones) = 'array' THEN phones ELSE '[]' END) AS p(item)) x
    WHERE x.point IS NOT NULL
$$;

-- A generated column's expression cannot be altered before PostgreSQL 17: it is made again
-- (the table is rewritten once), and its trigram index with it. contacts_touch names the
-- column by name as a quiet one, so it needs no change.
ALTER TABLE contacts DROP COLUMN search_text;
ALTER TABLE contacts ADD COLUMN search_text text GENERATED ALWAYS AS (
    lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' ||
          coalesce(email, '') || ' ' || coalesce(phone, '') ||
          coalesce(' ' || nullif(crm_contact_points_text(emails, phones), ''), ''))) STORED;
CREATE INDEX contacts_search_trgm ON contacts USING gin (search_text gin_trgm_ops);
