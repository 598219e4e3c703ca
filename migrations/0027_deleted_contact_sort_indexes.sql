-- 0027_deleted_contact_sort_indexes.sql - pages that include deleted contacts read them in
-- order through an index.
--
-- The sort indexes of the contact list (contacts_keyset_idx, contacts_org_updated_idx,
-- contacts_name_sort_idx) hold live contacts only. A page with include_deleted=true therefore
-- read and sorted every contact of the organisation: 1.2 s for the name sort of 100,000
-- contacts. The list now reads such a page as two ordered ranges, the live contacts through
-- those indexes and the deleted through these, and merges them. They hold only deleted rows,
-- so they stay small and cost nothing when a live contact is written.
-- Building them blocks writes to contacts (not reads) while they run.

SET LOCAL lock_timeout = '5s';
CREATE INDEX contacts_deleted_keyset_idx ON contacts (org_id, created_at DESC, id DESC)
    WHERE deleted_at IS NOT NULL;
CREATE INDEX contacts_deleted_updated_idx ON contacts (org_id, updated_at DESC, id DESC)
    WHERE deleted_at IS NOT NULL;
CREATE INDEX contacts_deleted_name_sort_idx ON contacts (org_id, crm_fold(last_name), crm_fold(first_name), id)
    WHERE deleted_at IS NOT NULL;
