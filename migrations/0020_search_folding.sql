-- 0020_search_folding.sql - searches ignore case and accents in every alphabet; Greek tags and
-- skills are spelt as Greek writes them.
--
-- lower() turns a capital sigma into σ wherever it stands: "ΚΑΡΑΓΙΑΝΝΗΣ" lowers to
-- "καραγιαννησ", while "Καραγιάννης" ends in ς; and Greek capitals drop their accents, so a
-- name typed in capitals never matched the same name in lower case. Searches (contacts' q and
-- their companies, clients' q, the similar-name warning, the location filter, the insights'
-- company names) now compare crm_fold(x) on both sides: accents removed (unaccent: "José" is
-- "jose", "Παπαδόπουλος" is "παπαδοπουλοσ"), lower case, and ς as σ. The trigram indexes hold
-- that form. A tag typed in capitals was stored misspelt ("φίλοσ") and was another tag than
-- "φίλος": tags and skill names now spell a word's last sigma ς (core::foldTag,
-- core::lowerAsWritten); accents stay in them. Rows whose stored tags change get a history row
-- without an actor and a new version, as 0014 did.
--
-- contacts is rewritten once for its search column, under an exclusive lock, as 0017 was, and
-- clients, sales_profiles, candidate_profiles and jobs cannot be read until the commit: a
-- deployment with many contacts applies this in a maintenance window (README, Migrations).

CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;

-- Text as searches compare it. Declared IMMUTABLE for the generated column and the indexes:
-- unaccent() is STABLE only because its rules file could change. A change to the rules (a new
-- PostgreSQL major version's) needs the indexes rebuilt and contacts.search_text computed again
-- (docs/operations.md). SQL callers write crm_fold(x) on both sides of a comparison, so that
-- the indexed expression and the query's are the same call.
--
-- After unaccent() and lower(), one translate(): ς becomes σ, the spaces other than U+0020
-- that white space trimming knows (no-break, ideographic U+3000 between Japanese names...)
-- become U+0020, and the marks unaccent() leaves (Arabic harakat and tatweel, Hebrew niqqud
-- and cantillation) are deleted, so "مُحَمَّد" is "محمد" and "שָׁלוֹם" is "שלום".
CREATE FUNCTION crm_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT translate(lower(public.unaccent('public.unaccent'::regdictionary, t)),
                     'ς' || U&'\00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\202F\205F\3000' ||
                         U&'\0610\0611\0612\0613\0614\0615\0616\0617\0618\0619\061A\0640\064B\064C\064D\064E' ||
                         U&'\064F\0650\0651\0652\0653\0654\0655\0656\0657\0658\0659\065A\065B\065C\065D\065E' ||
                         U&'\065F\0670\06D6\06D7\06D8\06D9\06DA\06DB\06DC\06DF\06E0\06E1\06E2\06E3\06E4\06E7' ||
                         U&'\06E8\06EA\06EB\06EC\06ED\0591\0592\0593\0594\0595\0596\0597\0598\0599\059A\059B' ||
                         U&'\059C\059D\059E\059F\05A0\05A1\05A2\05A3\05A4\05A5\05A6\05A7\05A8\05A9\05AA\05AB' ||
                         U&'\05AC\05AD\05AE\05AF\05B0\05B1\05B2\05B3\05B4\05B5\05B6\05B7\05B8\05B9\05BA\05BB' ||
                         U&'\05BC\05BD\05BF\05C1\05C2\05C4\05C5\05C7',
                     'σ' || repeat(' ', 16))
$$;

-- The text a LIKE pattern matches as it is: \, % and _ escaped. Searches fold first and escape
-- after (crm_like_literal(crm_fold($1))): unaccent() turns a full-width ％, ＿ or ＼ into the
-- ASCII one, which escaping before folding would have left a wildcard.
CREATE FUNCTION crm_like_literal(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT replace(replace(replace(t, '\', '\\'), '%', '\%'), '_', '\_')
$$;

SET LOCAL lock_timeout = '5s';

-- Every table this changes, at once and in one order, before any row is read: the index
-- rebuilds need these locks anyway, and taking row locks first and table locks later could
-- deadlock with a server still running. Reads of the five tables wait until the commit.
LOCK TABLE clients, contacts, sales_profiles, candidate_profiles, jobs IN ACCESS EXCLUSIVE MODE;

-- Tags: a sigma after a letter and before none is ς; two tags that become one keep the first
-- one's place.
CREATE FUNCTION pg_temp.spell_final_sigma(tags text[]) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(f.tag ORDER BY f.first_place), '{}')
    FROM (SELECT regexp_replace(u.tag, '([[:alpha:]])σ(?![[:alpha:]])', '\1ς', 'g') AS tag,
                 min(u.place) AS first_place
          FROM unnest(tags) WITH ORDINALITY AS u(tag, place)
          GROUP BY 1) f
$$;

WITH spelt AS (
    SELECT id, tags AS old_tags, pg_temp.spell_final_sigma(tags) AS new_tags
    FROM clients
    WHERE array_to_string(tags, ' ') LIKE '%σ%' AND tags <> pg_temp.spell_final_sigma(tags)
    FOR UPDATE
), changed AS (
    UPDATE clients c SET tags = s.new_tags
    FROM spelt s
    WHERE c.id = s.id
    RETURNING c.org_id, c.id, s.old_tags, s.new_tags
)
INSERT INTO audit_log (org_id, action, entity_type, entity_id, changes)
SELECT org_id, 'client.updated', 'client', id,
       jsonb_build_object('tags', jsonb_build_object('from', to_jsonb(old_tags), 'to', to_jsonb(new_tags)))
FROM changed;

WITH spelt AS (
    SELECT id, tags AS old_tags, pg_temp.spell_final_sigma(tags) AS new_tags
    FROM contacts
    WHERE array_to_string(tags, ' ') LIKE '%σ%' AND tags <> pg_temp.spell_final_sigma(tags)
    FOR UPDATE
), changed AS (
    UPDATE contacts c SET tags = s.new_tags
    FROM spelt s
    WHERE c.id = s.id
    RETURNING c.org_id, c.id, s.old_tags, s.new_tags
)
INSERT INTO contact_profile_audit_log (org_id, contact_id, profile_type, field, old_value, new_value)
SELECT org_id, id, 'contact', 'tags', to_jsonb(old_tags), to_jsonb(new_tags)
FROM changed;

DROP FUNCTION pg_temp.spell_final_sigma(text[]);

-- Skill names, which the API shows and the skill filter matches, are spelt the same way
-- (core::lowerAsWritten): "ΠΩΛΉΣΕΙΣ" and "Πωλήσεις" are the skill "πωλήσεις". 0010's function
-- otherwise; rows with a sigma have their generated column computed again (skill_names is a
-- quiet column: no new version).
CREATE OR REPLACE FUNCTION crm_skill_names(v jsonb) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF v IS NULL OR v = '[]'::jsonb THEN
        RETURN '{}';
    END IF;
    RETURN (
        SELECT coalesce(array_agg(DISTINCT n.name ORDER BY n.name), '{}')
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(v) = 'array' THEN v ELSE '[]'::jsonb END) AS e(item)
        CROSS JOIN LATERAL (
            SELECT regexp_replace(lower(btrim(e.item ->> 'name')), '([[:alpha:]])σ(?![[:alpha:]])', '\1ς', 'g')
                   AS name) n
        WHERE jsonb_typeof(e.item) = 'object'
          AND jsonb_typeof(e.item -> 'name') = 'string'
          AND btrim(e.item ->> 'name') <> '');
END
$$;
UPDATE candidate_profiles SET skills = skills WHERE skills::text LIKE '%σ%' OR skills::text LIKE '%Σ%';
UPDATE jobs SET skills = skills WHERE skills::text LIKE '%σ%' OR skills::text LIKE '%Σ%';

-- Contacts' search text in that form (0017's expression otherwise).
ALTER TABLE contacts DROP COLUMN search_text;
ALTER TABLE contacts ADD COLUMN search_text text GENERATED ALWAYS AS (
    crm_fold(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' ||
             coalesce(email, '') || ' ' || coalesce(phone, '') ||
             coalesce(' ' || nullif(crm_contact_points_text(emails, phones), ''), ''))) STORED;
CREATE INDEX contacts_search_trgm ON contacts USING gin (search_text gin_trgm_ops);

-- Company names are searched and compared in the same form.
DROP INDEX clients_name_trgm;
CREATE INDEX clients_name_trgm ON clients USING gin (crm_fold(name) gin_trgm_ops);
DROP INDEX sales_profiles_company_trgm;
CREATE INDEX sales_profiles_company_trgm ON sales_profiles USING gin (crm_fold(company_name) gin_trgm_ops);
DROP INDEX candidate_profiles_employer_trgm;
CREATE INDEX candidate_profiles_employer_trgm ON candidate_profiles
    USING gin (crm_fold(current_employer) gin_trgm_ops);

-- Statistics for the new column and expression indexes now, not at autovacuum's next visit:
-- the search's plans depend on them.
ANALYZE contacts, clients, sales_profiles, candidate_profiles, jobs;
