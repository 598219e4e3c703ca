-- 0017_search_every_contact_point.sql - q finds a contact by any of its e-mails and phones.
--
-- `q` finds a contact by any of its e-mails and phones, not only the main ones: a merge moves
-- the other contact's address into the survivor's `emails`, where the search did not look, and
-- duplicate detection already treats them all as the contact's.
--
-- The table is rewritten once, under an exclusive lock, with all its indexes: a deployment
-- with many contacts applies this in a maintenance window (docs/operations.md).

-- The secondary addresses and numbers in their stored order, space-separated ('' when there
-- are none, as on most contacts). PL/pgSQL, as 0010 made the other functions of generated
-- columns: an SQL function with a FROM clause is planned again on every write of the table.
CREATE FUNCTION crm_contact_points_text(emails jsonb, phones jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF coalesce(emails, '[]'::jsonb) = '[]'::jsonb AND coalesce(phones, '[]'::jsonb) = '[]'::jsonb THEN
        RETURN '';
    END IF;
    RETURN (
        SELECT coalesce(string_agg(x.point, ' ' ORDER BY x.kind, x.position), '')
        FROM (SELECT 1 AS kind, e.position, e.item ->> 'email' AS point
              FROM jsonb_array_elements(CASE WHEN jsonb_typeof(emails) = 'array' THEN emails ELSE '[]'::jsonb END)
                   WITH ORDINALITY AS e(item, position)
              UNION ALL
              SELECT 2, p.position, p.item ->> 'phone'
              FROM jsonb_array_elements(CASE WHEN jsonb_typeof(phones) = 'array' THEN phones ELSE '[]'::jsonb END)
                   WITH ORDINALITY AS p(item, position)) x
        WHERE x.point IS NOT NULL);
END
$$;

-- Every query on contacts waits behind the exclusive lock: on a busy database give up after a
-- few seconds rather than queue them all behind a long reader.
SET LOCAL lock_timeout = '5s';

-- A generated column's expression cannot be altered before PostgreSQL 17: it is made again,
-- and its trigram index with it. contacts_touch names the column as a quiet one by name, so it
-- needs no change.
ALTER TABLE contacts DROP COLUMN search_text;
ALTER TABLE contacts ADD COLUMN search_text text GENERATED ALWAYS AS (
    lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' ||
          coalesce(email, '') || ' ' || coalesce(phone, '') ||
          coalesce(' ' || nullif(crm_contact_points_text(emails, phones), ''), ''))) STORED;
CREATE INDEX contacts_search_trgm ON contacts USING gin (search_text gin_trgm_ops);
