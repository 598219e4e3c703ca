-- 0029_duplicate_probes_by_address.sql - the duplicate probes look the address up, whatever
-- the planner believes of the organisation's size.
--
-- The probes of 0011 keep one generic plan per connection. That plan is costed for the average
-- organisation: rows / the number of organisations. Once a database holds many small
-- organisations beside a large one, reading the organisation's live contacts through
-- contacts_owner_idx and testing each looked cheaper than the two address lookups, and every
-- create in the large organisation read all of its contacts: 136 ms a probe, 19 creates a
-- second, on the benchmark's 100,000 contacts once a few hundred other organisations existed.
-- The address is now looked up by itself, in a fenced CTE: the primary one through (org_id,
-- email) or (org_id, phone), the additional ones through their GIN index across organisations
-- (an address is in few contacts); the rows found are then checked for the organisation, life
-- and the contact left out. No condition is left that an index of the organisation alone could
-- answer, so no plan scans an organisation (the first version still read the contacts found
-- through contacts_owner_idx, costed at 11 rows, and the test caught it).

CREATE OR REPLACE FUNCTION crm_contacts_with_email(org uuid, address text, exclude_id uuid) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off AS $$
BEGIN
    RETURN QUERY
    WITH found AS MATERIALIZED (
        SELECT x.id, x.org_id, x.deleted_at FROM contacts x WHERE x.org_id = org AND x.email = address
        UNION ALL
        SELECT x.id, x.org_id, x.deleted_at FROM contacts x
        WHERE x.emails @> jsonb_build_array(jsonb_build_object('email', address)))
    SELECT DISTINCT f.id FROM found f
    WHERE f.org_id = org AND f.deleted_at IS NULL AND f.id IS DISTINCT FROM exclude_id;
END
$$;

CREATE OR REPLACE FUNCTION crm_contacts_with_phone(org uuid, e164 text, exclude_id uuid) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off AS $$
BEGIN
    RETURN QUERY
    WITH found AS MATERIALIZED (
        SELECT x.id, x.org_id, x.deleted_at FROM contacts x WHERE x.org_id = org AND x.phone = e164
        UNION ALL
        SELECT x.id, x.org_id, x.deleted_at FROM contacts x
        WHERE x.phones @> jsonb_build_array(jsonb_build_object('phone', e164)))
    SELECT DISTINCT f.id FROM found f
    WHERE f.org_id = org AND f.deleted_at IS NULL AND f.id IS DISTINCT FROM exclude_id;
END
$$;
