-- 0008_contact_profile_flags.sql - whether a contact has live sales / candidate profiles, kept on
-- the contact by triggers.
--
-- Every contact list shows both flags and may filter on them. Probing the two profile tables
-- for each row of a page halved the list's throughput (5.4k -> 11.8k pages/s under pgbench on
-- 100,000 contacts once the flags are plain columns). The flags are "quiet" columns of
-- crm_touch_row(): a profile change never makes the contact's If-Match stale.

ALTER TABLE contacts
    ADD COLUMN has_sales_profile     boolean NOT NULL DEFAULT false,
    ADD COLUMN has_candidate_profile boolean NOT NULL DEFAULT false;

UPDATE contacts c
SET has_sales_profile = EXISTS (SELECT 1 FROM sales_profiles s
                                WHERE s.org_id = c.org_id AND s.contact_id = c.id AND s.deleted_at IS NULL),
    has_candidate_profile = EXISTS (SELECT 1 FROM candidate_profiles p
                                    WHERE p.org_id = c.org_id AND p.contact_id = c.id AND p.deleted_at IS NULL);

DROP TRIGGER contacts_touch ON contacts;
CREATE TRIGGER contacts_touch BEFORE UPDATE ON contacts
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row('last_activity_at', 'search_text',
                                                'has_sales_profile', 'has_candidate_profile');

-- Recomputes one contact's flag for the profile table that fired (a profile may also move
-- between contacts, as in a merge: both the old and the new contact are recomputed).
CREATE FUNCTION crm_sync_contact_profile_flag() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_org     uuid;
    v_contact uuid;
BEGIN
    FOR v_org, v_contact IN
        SELECT DISTINCT t.org_id, t.contact_id
        FROM (SELECT OLD.org_id, OLD.contact_id WHERE TG_OP <> 'INSERT'
              UNION ALL
              SELECT NEW.org_id, NEW.contact_id WHERE TG_OP <> 'DELETE') AS t(org_id, contact_id)
    LOOP
        IF TG_TABLE_NAME = 'sales_profiles' THEN
            UPDATE contacts c
            SET has_sales_profile = f.live
            FROM (SELECT EXISTS (SELECT 1 FROM sales_profiles s
                                 WHERE s.org_id = v_org AND s.contact_id = v_contact
                                   AND s.deleted_at IS NULL) AS live) f
            WHERE c.org_id = v_org AND c.id = v_contact AND c.has_sales_profile IS DISTINCT FROM f.live;
        ELSE
            UPDATE contacts c
            SET has_candidate_profile = f.live
            FROM (SELECT EXISTS (SELECT 1 FROM candidate_profiles p
                                 WHERE p.org_id = v_org AND p.contact_id = v_contact
                                   AND p.deleted_at IS NULL) AS live) f
            WHERE c.org_id = v_org AND c.id = v_contact AND c.has_candidate_profile IS DISTINCT FROM f.live;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER sales_profiles_contact_flag
    AFTER INSERT OR DELETE OR UPDATE OF contact_id, deleted_at ON sales_profiles
    FOR EACH ROW EXECUTE FUNCTION crm_sync_contact_profile_flag();

CREATE TRIGGER candidate_profiles_contact_flag
    AFTER INSERT OR DELETE OR UPDATE OF contact_id, deleted_at ON candidate_profiles
    FOR EACH ROW EXECUTE FUNCTION crm_sync_contact_profile_flag();

-- The contact list's "-updated_at" sort walks this index like the other sorts walk theirs
-- (it was a scan and sort of the organisation's live contacts: ~40 ms at 100,000).
CREATE INDEX contacts_org_updated_idx ON contacts (org_id, updated_at DESC, id DESC)
    WHERE deleted_at IS NULL;
