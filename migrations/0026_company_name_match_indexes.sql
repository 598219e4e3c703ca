-- 0026_company_name_match_indexes.sql - the cross-profile insights find a client's people by
-- company name through an index.
--
-- Two insights match a profile's company to a client by name, folded as searches compare it:
-- a candidate's current_employer (staff of a client with open deals) and a sales profile's
-- company_name (a buyer at a client with open jobs). Without an index on the folded names,
-- PostgreSQL folded every live profile of the organisation to hash them against the clients:
-- over a second for 66,000 profiles once one client had an open deal or job. These indexes let
-- each insight start from the few clients with open deals or jobs and look their people up;
-- clients_name_sort_idx (0022) already serves the other direction (is this employer a client?).
-- crm_fold trims, so crm_fold(btrim(x)) is crm_fold(x): the insights use the indexed form.
-- Building them blocks writes to the two tables (not reads) while they run. A migration that
-- changes crm_fold again must rebuild these two as well, as 0023 and 0024 rebuilt every index
-- on it.

SET LOCAL lock_timeout = '5s';
CREATE INDEX candidate_profiles_employer_fold_idx ON candidate_profiles (org_id, crm_fold(current_employer))
    WHERE deleted_at IS NULL;
CREATE INDEX sales_profiles_company_fold_idx ON sales_profiles (org_id, crm_fold(company_name))
    WHERE deleted_at IS NULL;
