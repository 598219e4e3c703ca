-- 0023_fold_apostrophes_and_spaces.sql - "obrien" finds O'Brien, and two spaces are one.
--
-- crm_fold (0020) kept apostrophes and runs of spaces as they were: a contact saved as
-- "O'Brien" (or "O’Brien", which unaccent writes with ') was found only by a q typed with the
-- apostrophe, "Mary  Ann" saved with two spaces only by a q with two, and a q pasted with two
-- spaces found no one. crm_fold now also deletes apostrophes (U+0027, what unaccent makes of
-- ’ ‘ ʼ ʻ ′ and the other apostrophe-like marks), makes each run of spaces one space and
-- drops those at either end. Both sides of every comparison call it, so
-- searches, the name sorts ("O'Brien" between "Obama" and "Ocasio"), the clients' industry
-- filter and the insights' company names all read text that way.
--
-- What is built on crm_fold is built again: contacts.search_text (a generated column: dropped
-- and added, which rewrites contacts and so rebuilds its name sort index, as 0020 did), its
-- trigram index, and the company, clients' name sort and industry indexes. The four tables are locked first, clients before contacts as a
-- running server's requests lock them, so the migration never holds one while it waits for
-- another; reads of them wait until the commit (a few seconds for the benchmark's 100,000
-- contacts; README, Migrations).

SET LOCAL lock_timeout = '5s';
LOCK TABLE clients, contacts, sales_profiles, candidate_profiles IN ACCESS EXCLUSIVE MODE;

-- 0020's function, with the apostrophe among the characters translate() deletes (those past
-- the end of its second list), the runs of spaces its translation leaves made one, and those
-- at either end dropped ("’ ab" is "ab", as q is trimmed before it is folded).
CREATE OR REPLACE FUNCTION crm_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT btrim(regexp_replace(
        translate(lower(public.unaccent('public.unaccent'::regdictionary, t)),
                  'ς' || U&'\00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\202F\205F\3000' ||
                      U&'\0610\0611\0612\0613\0614\0615\0616\0617\0618\0619\061A\0640\064B\064C\064D\064E' ||
                      U&'\064F\0650\0651\0652\0653\0654\0655\0656\0657\0658\0659\065A\065B\065C\065D\065E' ||
                      U&'\065F\0670\06D6\06D7\06D8\06D9\06DA\06DB\06DC\06DF\06E0\06E1\06E2\06E3\06E4\06E7' ||
                      U&'\06E8\06EA\06EB\06EC\06ED\0591\0592\0593\0594\0595\0596\0597\0598\0599\059A\059B' ||
                      U&'\059C\059D\059E\059F\05A0\05A1\05A2\05A3\05A4\05A5\05A6\05A7\05A8\05A9\05AA\05AB' ||
                      U&'\05AC\05AD\05AE\05AF\05B0\05B1\05B2\05B3\05B4\05B5\05B6\05B7\05B8\05B9\05BA\05BB' ||
                      U&'\05BC\05BD\05BF\05C1\05C2\05C4\05C5\05C7' || '''',
                  'σ' || repeat(' ', 16)),
        ' {2,}', ' ', 'g'), ' ')
$$;

ALTER TABLE contacts DROP COLUMN search_text;
ALTER TABLE contacts ADD COLUMN search_text text GENERATED ALWAYS AS (
    crm_fold(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' ||
             coalesce(email, '') || ' ' || coalesce(phone, '') ||
             coalesce(' ' || nullif(crm_contact_points_text(emails, phones), ''), ''))) STORED;
CREATE INDEX contacts_search_trgm ON contacts USING gin (search_text gin_trgm_ops);

REINDEX INDEX clients_name_trgm;
REINDEX INDEX clients_name_sort_idx;
REINDEX INDEX clients_industry_idx;
REINDEX INDEX sales_profiles_company_trgm;
REINDEX INDEX candidate_profiles_employer_trgm;

ANALYZE clients, contacts, sales_profiles, candidate_profiles;
