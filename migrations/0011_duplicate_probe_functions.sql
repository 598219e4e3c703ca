-- 0011_duplicate_probe_functions.sql - the duplicate probes keep one plan per connection.
--
-- Creating a contact (or changing its e-mails or phones) first looks for another live contact
-- of the organisation with the same address or number: the primary column through its btree,
-- the additional ones through contacts_emails_gin / contacts_phones_gin, as a BitmapOr. As
-- prepared statements these were planned again on every execution. Their generic plan is the
-- same BitmapOr, but it estimates a containment test on a parameter at 1 % of the rows, and the
-- custom plan (one row) always looked cheaper. Planning took 0.1 ms of PostgreSQL's CPU, five
-- times the lookup itself, on every create.
--
-- Inside these functions the query is planned once per connection and that plan is kept
-- (plan_cache_mode), replanned only when the table's statistics change. A sequential scan is
-- never chosen (enable_seqscan): the generic plan's 1 % estimate could otherwise, on a large
-- organisation, price reading every contact below the two index lookups.

CREATE FUNCTION crm_contacts_with_email(org uuid, address text, exclude_id uuid) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off AS $$
BEGIN
    RETURN QUERY
    SELECT c.id FROM contacts c
    WHERE c.org_id = org AND c.deleted_at IS NULL AND c.id IS DISTINCT FROM exclude_id
      AND (c.email = address OR c.emails @> jsonb_build_array(jsonb_build_object('email', address)));
END
$$;

CREATE FUNCTION crm_contacts_with_phone(org uuid, e164 text, exclude_id uuid) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off AS $$
BEGIN
    RETURN QUERY
    SELECT c.id FROM contacts c
    WHERE c.org_id = org AND c.deleted_at IS NULL AND c.id IS DISTINCT FROM exclude_id
      AND (c.phone = e164 OR c.phones @> jsonb_build_array(jsonb_build_object('phone', e164)));
END
$$;
