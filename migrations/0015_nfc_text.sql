-- 0015_nfc_text.sql - text that looks the same is the same text.
--
-- The API now stores text in Unicode normalisation form C (core::toNfc): "e" + U+0301, as some
-- keyboards and copies produce it, becomes "é". Before, `jose\u0301@x.example` and `josé@x.example`
-- were two addresses (a second user with a look-alike e-mail, a duplicate contact the e-mail
-- check missed), and a name or tag typed one way was not found typed the other. This puts the
-- text that matching reads in NFC: e-mails, contact and client names, tags. Other text becomes
-- NFC when it is next written.
--
-- A user whose e-mail would become another user's of the same organisation is left as it is:
-- two accounts cannot be merged here, and the admin sees both. Changed rows get a new version
-- (their bytes changed) but no audit entry (nothing a person sees changed).

CREATE FUNCTION pg_temp.nfc_tags(tags text[]) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(f.tag ORDER BY f.first_place), '{}')
    FROM (SELECT normalize(u.tag, NFC) AS tag, min(u.place) AS first_place
          FROM unnest(tags) WITH ORDINALITY AS u(tag, place)
          GROUP BY normalize(u.tag, NFC)) f
$$;

UPDATE users u SET email = normalize(u.email, NFC)
WHERE u.email IS NOT NFC NORMALIZED
  AND NOT EXISTS (SELECT 1 FROM users o
                  WHERE o.org_id = u.org_id AND o.id <> u.id
                    AND normalize(o.email, NFC) = normalize(u.email, NFC));

UPDATE contacts
SET email = normalize(email, NFC),
    emails = normalize(emails::text, NFC)::jsonb,
    first_name = normalize(first_name, NFC),
    last_name = normalize(last_name, NFC),
    tags = pg_temp.nfc_tags(tags)
WHERE email IS NOT NFC NORMALIZED
   OR emails::text IS NOT NFC NORMALIZED
   OR first_name IS NOT NFC NORMALIZED
   OR last_name IS NOT NFC NORMALIZED
   OR array_to_string(tags, ' ') IS NOT NFC NORMALIZED;

UPDATE clients
SET name = normalize(name, NFC),
    tags = pg_temp.nfc_tags(tags)
WHERE name IS NOT NFC NORMALIZED
   OR array_to_string(tags, ' ') IS NOT NFC NORMALIZED;

DROP FUNCTION pg_temp.nfc_tags(text[]);
