-- 0010_cheaper_writes.sql - the same rules, at a fraction of PostgreSQL's cost per write.
--
-- 1. The shape checks used by CHECK constraints and the UUIDv7 default were SQL functions.
--    PostgreSQL parses and plans an SQL function's body again for every statement that checks
--    the constraint (inlining, or fmgr_sql for the ones with a sub-query): a sixth of its CPU
--    on a contact create. PL/pgSQL compiles a function once per connection and keeps the plans
--    of its queries. Bodies and results are unchanged (same expressions), so constraints and the
--    generated skill_names columns keep their meaning and nothing needs re-checking.
-- 2. The duplicate probes read contacts_emails_gin and contacts_phones_gin on every create. With
--    GIN's fast update, new entries wait in a pending list that each probe scans in full (7,000
--    entries after a few seconds of creates: another sixth of a create). Without it each insert
--    puts its one entry (no e-mails or phones: one "empty" entry) straight into the tree.

CREATE OR REPLACE FUNCTION crm_uuid_v7() RETURNS uuid
LANGUAGE plpgsql VOLATILE PARALLEL SAFE AS $$
BEGIN
    RETURN encode(
        set_bit(
            set_bit(
                overlay(uuid_send(gen_random_uuid())
                        PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                        FROM 1 FOR 6),
                52, 1),
            53, 1),
        'hex')::uuid;
END
$$;

CREATE OR REPLACE FUNCTION crm_is_email(v text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN v ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND v = lower(v);
END
$$;

CREATE OR REPLACE FUNCTION crm_is_e164(v text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN v ~ '^\+[1-9][0-9]{6,14}$';
END
$$;

-- Most contacts have no additional e-mails or phones and candidates few skills: an empty array
-- answers without running the query.
CREATE OR REPLACE FUNCTION crm_is_email_list(v jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    IF v = '[]'::jsonb THEN
        RETURN true;
    END IF;
    RETURN jsonb_typeof(v) = 'array'
       AND NOT EXISTS (
           SELECT 1 FROM jsonb_array_elements(v) AS e(item)
           WHERE jsonb_typeof(e.item) <> 'object'
              OR jsonb_typeof(e.item -> 'email') IS DISTINCT FROM 'string'
              OR NOT crm_is_email(e.item ->> 'email')
              OR coalesce(jsonb_typeof(e.item -> 'label'), 'null') NOT IN ('string', 'null'));
END
$$;

CREATE OR REPLACE FUNCTION crm_is_phone_list(v jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    IF v = '[]'::jsonb THEN
        RETURN true;
    END IF;
    RETURN jsonb_typeof(v) = 'array'
       AND NOT EXISTS (
           SELECT 1 FROM jsonb_array_elements(v) AS e(item)
           WHERE jsonb_typeof(e.item) <> 'object'
              OR jsonb_typeof(e.item -> 'phone') IS DISTINCT FROM 'string'
              OR NOT crm_is_e164(e.item ->> 'phone')
              OR coalesce(jsonb_typeof(e.item -> 'label'), 'null') NOT IN ('string', 'null'));
END
$$;

CREATE OR REPLACE FUNCTION crm_is_skill_list(v jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    IF v = '[]'::jsonb THEN
        RETURN true;
    END IF;
    RETURN jsonb_typeof(v) = 'array'
       AND NOT EXISTS (
           SELECT 1 FROM jsonb_array_elements(v) AS e(item)
           WHERE jsonb_typeof(e.item) <> 'object'
              OR jsonb_typeof(e.item -> 'name') IS DISTINCT FROM 'string'
              OR btrim(e.item ->> 'name') = ''
              OR CASE coalesce(jsonb_typeof(e.item -> 'level'), 'null')
                     WHEN 'null'   THEN false
                     WHEN 'string' THEN false
                     WHEN 'number' THEN (e.item ->> 'level')::numeric NOT IN (1, 2, 3, 4, 5)
                     ELSE true
                 END);
END
$$;

CREATE OR REPLACE FUNCTION crm_skill_names(v jsonb) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF v IS NULL OR v = '[]'::jsonb THEN
        RETURN '{}';
    END IF;
    RETURN (
        SELECT coalesce(array_agg(DISTINCT lower(btrim(e.item ->> 'name')) ORDER BY lower(btrim(e.item ->> 'name'))), '{}')
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(v) = 'array' THEN v ELSE '[]'::jsonb END) AS e(item)
        WHERE jsonb_typeof(e.item) = 'object'
          AND jsonb_typeof(e.item -> 'name') = 'string'
          AND btrim(e.item ->> 'name') <> '');
END
$$;

-- Entries already pending would stay in the list, and in every scan, until a vacuum: move them
-- into the tree first, which does not block the table's readers or writers.
SELECT gin_clean_pending_list('contacts_emails_gin'::regclass);
SELECT gin_clean_pending_list('contacts_phones_gin'::regclass);
-- Changing fastupdate takes an exclusive lock on each index until this file commits, and every
-- query on contacts opens its indexes: on a busy database give up after a few seconds (the
-- migration fails whole and can be run again) rather than queue all contact traffic behind it.
SET LOCAL lock_timeout = '5s';
ALTER INDEX contacts_emails_gin SET (fastupdate = off);
ALTER INDEX contacts_phones_gin SET (fastupdate = off);
