-- 0022_name_sorts_fold.sql - lists sorted by name read as a person reads them.
--
-- The clients' name sort and the contacts' last_name sort ordered by the database's byte order
-- (C.UTF-8): every capitalised name before every lower-case one ("Zeta" before "acme") and
-- accented initials after "z" ("Élan" last). They now sort on crm_fold(name), the form searches
-- compare (0020: no case, no accents), with the id breaking ties; these indexes serve them.
--
-- Building them blocks writes to clients and contacts (not reads) while it runs: about a second
-- for the benchmark's 100,000 contacts.

SET LOCAL lock_timeout = '5s';
DROP INDEX clients_name_sort_idx;
CREATE INDEX clients_name_sort_idx ON clients (org_id, crm_fold(name), id) WHERE deleted_at IS NULL;
DROP INDEX contacts_name_sort_idx;
CREATE INDEX contacts_name_sort_idx ON contacts (org_id, crm_fold(last_name), crm_fold(first_name), id)
    WHERE deleted_at IS NULL;
ANALYZE clients;
ANALYZE contacts;
