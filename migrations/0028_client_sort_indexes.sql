-- 0028_client_sort_indexes.sql - every sort of the client list reads its page through an
-- index, deleted clients included.
--
-- `sort=-updated_at` had no index, so each of its pages sorted every live client of the
-- organisation; pages with include_deleted=true sorted every client, as the sort indexes
-- (clients_keyset_idx, clients_name_sort_idx and the one below) hold live clients only. Such a
-- page now merges an ordered read of the live clients with one of the deleted, through the
-- three indexes of deleted rows below (small: only deleted clients are in them).
-- Building them blocks writes to clients (not reads) while they run.

SET LOCAL lock_timeout = '5s';
CREATE INDEX clients_updated_idx ON clients (org_id, updated_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX clients_deleted_keyset_idx ON clients (org_id, created_at DESC, id DESC)
    WHERE deleted_at IS NOT NULL;
CREATE INDEX clients_deleted_updated_idx ON clients (org_id, updated_at DESC, id DESC)
    WHERE deleted_at IS NOT NULL;
CREATE INDEX clients_deleted_name_sort_idx ON clients (org_id, crm_fold(name), id)
    WHERE deleted_at IS NOT NULL;
