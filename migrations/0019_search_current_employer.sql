-- 0019_search_current_employer.sql - q finds a candidate by the company they work at.
--
-- A contact's company is what their sales profile names (text or client), the clients they
-- are linked to today, and, for a candidate, the current employer. The search read the first
-- two only, so typing "Initech" did not find the candidates working there.
--
-- Building the index blocks writes to candidate_profiles (not reads) while it runs: 0.3 s on
-- the development database's profiles (the 100,000-contact benchmark's), far longer for
-- millions; a large deployment applies it in a quiet hour (migrations run in a transaction, so
-- CONCURRENTLY is not an option here).

SET LOCAL lock_timeout = '5s';
CREATE INDEX candidate_profiles_employer_trgm ON candidate_profiles
    USING gin (current_employer gin_trgm_ops);
