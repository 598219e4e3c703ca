-- 0015_nfc_text.sql - text that looks the same is the same text.
--
-- The API now stores text in Unicode normalisation form C (core::toNfc): "e" + U+0301, as some
-- keyboards and copies produce it, becomes "é". Before, `jose\u0301@x.example` and `josé@x.example`
-- were two addresses (a second user with a look-alike e-mail, a duplicate contact the e-mail
-- check missed), and a name or tag typed one way was not found typed the other. This puts the
-- text that matching and the list filters read in NFC: e-mails, names, tags, skills, cities,
-- industries, company names. Other text becomes NFC when it is next written.
--
-- JSON columns are rebuilt value by value: normalising their text would let an escape's letter
-- take a following accent (`\n` + U+0303 → `\ñ`) and break the JSON. A contact's secondary
-- e-mails that become each other are one (the first, with its label), as the API drops repeats.
--
-- A user whose e-mail would become another user's of the same organisation is left as it is
-- (two accounts cannot be merged here): sign-in and password reset find the composed one only,
-- so an admin must change or deactivate the other. A WARNING in PostgreSQL's log names them.
-- Changed rows get a new version (their bytes changed) but no audit entry (nothing a person
-- sees changed).

CREATE FUNCTION pg_temp.nfc_tags(tags text[]) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(f.tag ORDER BY f.first_place), '{}')
    FROM (SELECT normalize(u.tag, NFC) AS tag, min(u.place) AS first_place
          FROM unnest(tags) WITH ORDINALITY AS u(tag, place)
          GROUP BY normalize(u.tag, NFC)) f
$$;

-- `key` of each object of `items` in NFC; other entries as they are.
CREATE FUNCTION pg_temp.nfc_key(items jsonb, key text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_agg(CASE WHEN jsonb_typeof(x.item -> key) = 'string'
                                   THEN jsonb_set(x.item, ARRAY[key], to_jsonb(normalize(x.item ->> key, NFC)))
                                   ELSE x.item END
                              ORDER BY x.place), '[]'::jsonb)
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(items) = 'array' THEN items ELSE '[]'::jsonb END)
         WITH ORDINALITY AS x(item, place)
$$;

-- Secondary e-mails in NFC without repeats (the first one kept).
CREATE FUNCTION pg_temp.nfc_emails(emails jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_agg(f.item ORDER BY f.place), '[]'::jsonb)
    FROM (SELECT DISTINCT ON (coalesce(x.item ->> 'email', x.place::text)) x.item, x.place
          FROM jsonb_array_elements(pg_temp.nfc_key(emails, 'email')) WITH ORDINALITY AS x(item, place)
          ORDER BY coalesce(x.item ->> 'email', x.place::text), x.place) f
$$;

CREATE FUNCTION pg_temp.any_key_decomposed(items jsonb, key text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(bool_or(x.item ->> key IS NOT NFC NORMALIZED), false)
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(items) = 'array' THEN items ELSE '[]'::jsonb END) AS x(item)
$$;

DO $$
DECLARE
    left_alone text;
BEGIN
    SELECT string_agg(u.id::text, ', ') INTO left_alone
    FROM users u
    WHERE u.email IS NOT NFC NORMALIZED
      AND EXISTS (SELECT 1 FROM users o
                  WHERE o.org_id = u.org_id AND o.id <> u.id
                    AND normalize(o.email, NFC) = normalize(u.email, NFC));
    IF left_alone IS NOT NULL THEN
        RAISE WARNING 'users left with a decomposed e-mail that another user has composed: %', left_alone;
    END IF;
END $$;

UPDATE users u SET email = normalize(u.email, NFC)
WHERE u.email IS NOT NFC NORMALIZED
  AND NOT EXISTS (SELECT 1 FROM users o
                  WHERE o.org_id = u.org_id AND o.id <> u.id
                    AND normalize(o.email, NFC) = normalize(u.email, NFC));

UPDATE users SET name = normalize(name, NFC) WHERE name IS NOT NFC NORMALIZED;

UPDATE contacts
SET email = normalize(email, NFC),
    emails = pg_temp.nfc_emails(emails),
    first_name = normalize(first_name, NFC),
    last_name = normalize(last_name, NFC),
    city = normalize(city, NFC),
    tags = pg_temp.nfc_tags(tags)
WHERE email IS NOT NFC NORMALIZED
   OR pg_temp.any_key_decomposed(emails, 'email')
   OR first_name IS NOT NFC NORMALIZED
   OR last_name IS NOT NFC NORMALIZED
   OR city IS NOT NFC NORMALIZED
   OR array_to_string(tags, ' ') IS NOT NFC NORMALIZED;

UPDATE clients
SET name = normalize(name, NFC),
    industry = normalize(industry, NFC),
    tags = pg_temp.nfc_tags(tags)
WHERE name IS NOT NFC NORMALIZED
   OR industry IS NOT NFC NORMALIZED
   OR array_to_string(tags, ' ') IS NOT NFC NORMALIZED;

UPDATE sales_profiles SET company_name = normalize(company_name, NFC)
WHERE company_name IS NOT NFC NORMALIZED;

UPDATE candidate_profiles SET skills = pg_temp.nfc_key(skills, 'name')
WHERE pg_temp.any_key_decomposed(skills, 'name');

DROP FUNCTION pg_temp.any_key_decomposed(jsonb, text);
DROP FUNCTION pg_temp.nfc_emails(jsonb);
DROP FUNCTION pg_temp.nfc_key(jsonb, text);
DROP FUNCTION pg_temp.nfc_tags(text[]);
