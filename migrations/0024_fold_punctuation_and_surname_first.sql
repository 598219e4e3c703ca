-- 0024_fold_punctuation_and_surname_first.sql - "jean luc" finds Jean-Luc, "hopper grace" finds
-- Grace Hopper.
--
-- crm_fold (0023) kept hyphens and other punctuation as they were: "Jean-Luc" was found only
-- by a q typed with the hyphen, "Müller-Lüdenscheidt" not by "muller lud", "St. John" not by
-- "st john", "Acme, Inc." not by "acme inc". crm_fold now reads the hyphen, the dashes, the
-- full stop, the comma, the slash, the underscore and round brackets as a space (after
-- unaccent, which writes ‐ – — − as '-', … as '...', ‚ as ','), so a hyphenated name is found
-- typed either way. Both sides of every comparison call it: an e-mail typed in full
-- ("j.smith@acme.com") still finds the address it names.
--
-- contacts.search_text also holds the name surname first, with a space and without one: a
-- name written that way ("山田 太郎", "Hopper Grace", or "山田太郎", "김민준" as Japanese and
-- Korean write them) is found as it is written, not only given name first.
--
-- What is built on crm_fold is built again, as 0023 did (and with the same locks, in the same
-- order): contacts.search_text and its trigram index, the name sort and industry indexes of
-- clients, and the company trigram indexes.

SET LOCAL lock_timeout = '5s';
LOCK TABLE clients, contacts, sales_profiles, candidate_profiles IN ACCESS EXCLUSIVE MODE;

-- 0023's function, with the punctuation read as spaces placed among the characters translate()
-- writes as a space (those before the end of its second list), and the soft hyphen deleted
-- before unaccent (which writes it '-'): it shows nothing, so "Anna\u00ADMaria" reads AnnaMaria.
CREATE OR REPLACE FUNCTION crm_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT btrim(regexp_replace(
        translate(lower(public.unaccent('public.unaccent'::regdictionary, replace(t, U&'\00AD', ''))),
                  'ς' || U&'\00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\202F\205F\3000' ||
                      '-.,/_()' || U&'\2010\2011\2012\2013\2014\2015\2212' ||
                      U&'\0610\0611\0612\0613\0614\0615\0616\0617\0618\0619\061A\0640\064B\064C\064D\064E' ||
                      U&'\064F\0650\0651\0652\0653\0654\0655\0656\0657\0658\0659\065A\065B\065C\065D\065E' ||
                      U&'\065F\0670\06D6\06D7\06D8\06D9\06DA\06DB\06DC\06DF\06E0\06E1\06E2\06E3\06E4\06E7' ||
                      U&'\06E8\06EA\06EB\06EC\06ED\0591\0592\0593\0594\0595\0596\0597\0598\0599\059A\059B' ||
                      U&'\059C\059D\059E\059F\05A0\05A1\05A2\05A3\05A4\05A5\05A6\05A7\05A8\05A9\05AA\05AB' ||
                      U&'\05AC\05AD\05AE\05AF\05B0\05B1\05B2\05B3\05B4\05B5\05B6\05B7\05B8\05B9\05BA\05BB' ||
                      U&'\05BC\05BD\05BF\05C1\05C2\05C4\05C5\05C7' || '''',
                  'σ' || repeat(' ', 16 + 7 + 7)),
        ' {2,}', ' ', 'g'), ' ')
$$;

ALTER TABLE contacts DROP COLUMN search_text;
-- Its parts are joined by U+001F, which no stored text and no q may hold (control characters
-- are refused): a search matches within one part, never across two ("山田 山田" does not find
-- 太郎 山田 through "太郎 山田" followed by "山田 太郎", nor "hopper grace" through grace@…).
ALTER TABLE contacts ADD COLUMN search_text text GENERATED ALWAYS AS (
    crm_fold(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || U&'\001F' ||
             coalesce(email, '') || U&'\001F' || coalesce(phone, '') ||
             coalesce(U&'\001F' || nullif(crm_contact_points_text(emails, phones), ''), '') ||
             coalesce(U&'\001F' || last_name || ' ' || first_name || U&'\001F' || last_name || first_name,
                      ''))) STORED;
CREATE INDEX contacts_search_trgm ON contacts USING gin (search_text gin_trgm_ops);

REINDEX INDEX clients_name_trgm;
REINDEX INDEX clients_name_sort_idx;
REINDEX INDEX clients_industry_idx;
REINDEX INDEX sales_profiles_company_trgm;
REINDEX INDEX candidate_profiles_employer_trgm;

ANALYZE clients, contacts, sales_profiles, candidate_profiles;
