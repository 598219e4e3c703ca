-- 0001_platform.sql - extensions, shared functions, tenants, users, audit, task queue, files.
--
-- Conventions used by every business table (see docs/schema.md):
--   id uuid PK DEFAULT crm_uuid_v7(), org_id NOT NULL -> organizations ON DELETE CASCADE,
--   created_at / updated_at / created_by / version, UNIQUE (org_id, id),
--   every reference to another tenant row is a composite FK (org_id, x_id) -> x (org_id, id),
--   BEFORE UPDATE trigger crm_touch_row() bumps version and updated_at.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS vector;

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

-- UUIDv7 (RFC 9562): 48-bit big-endian unix time in ms, version 7, variant 10, random rest.
-- gen_random_uuid() already carries variant 10 and version 0100; setting bits 52 and 53
-- (low bits of the version nibble, counted from the least significant bit of byte 6)
-- turns 0100 into 0111.
CREATE FUNCTION crm_uuid_v7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(
        set_bit(
            set_bit(
                overlay(uuid_send(gen_random_uuid())
                        PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                        FROM 1 FOR 6),
                52, 1),
            53, 1),
        'hex')::uuid
$$;

-- The creation time encoded in a UUIDv7 (useful for debugging and tests).
CREATE FUNCTION crm_uuid_v7_time(u uuid) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT to_timestamp(('x' || substr(replace(u::text, '-', ''), 1, 12))::bit(48)::bigint / 1000.0)
$$;

-- BEFORE UPDATE trigger: NEW.version := OLD.version + 1, NEW.updated_at := now().
-- Optional trigger arguments name "quiet" columns (machine-maintained: embeddings,
-- last_activity_at, generated columns). When an UPDATE changes nothing but quiet columns,
-- version and updated_at are left alone, so a background write never makes a user's
-- If-Match stale.
CREATE FUNCTION crm_touch_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_NARGS > 0 THEN
        IF (to_jsonb(NEW) - TG_ARGV - 'version' - 'updated_at')
           = (to_jsonb(OLD) - TG_ARGV - 'version' - 'updated_at') THEN
            NEW.version := OLD.version;
            NEW.updated_at := OLD.updated_at;
            RETURN NEW;
        END IF;
    END IF;
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

-- Shape checks shared by CHECK constraints (IMMUTABLE so they may be used in constraints).
CREATE FUNCTION crm_is_email(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT v ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND v = lower(v)
$$;

CREATE FUNCTION crm_is_e164(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT v ~ '^\+[1-9][0-9]{6,14}$'
$$;

-- jsonb array of {"email": "...", "label": "..."} objects, emails lower-case and well formed.
CREATE FUNCTION crm_is_email_list(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT jsonb_typeof(v) = 'array'
       AND NOT EXISTS (
           SELECT 1 FROM jsonb_array_elements(v) AS e(item)
           WHERE jsonb_typeof(e.item) <> 'object'
              OR jsonb_typeof(e.item -> 'email') IS DISTINCT FROM 'string'
              OR NOT crm_is_email(e.item ->> 'email')
              OR coalesce(jsonb_typeof(e.item -> 'label'), 'null') NOT IN ('string', 'null'))
$$;

-- jsonb array of {"phone": "+E164", "label": "..."} objects.
CREATE FUNCTION crm_is_phone_list(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT jsonb_typeof(v) = 'array'
       AND NOT EXISTS (
           SELECT 1 FROM jsonb_array_elements(v) AS e(item)
           WHERE jsonb_typeof(e.item) <> 'object'
              OR jsonb_typeof(e.item -> 'phone') IS DISTINCT FROM 'string'
              OR NOT crm_is_e164(e.item ->> 'phone')
              OR coalesce(jsonb_typeof(e.item -> 'label'), 'null') NOT IN ('string', 'null'))
$$;

-- Skills: jsonb array of {"name": non-blank string, "level": null | 1..5 | string}.
CREATE FUNCTION crm_is_skill_list(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT jsonb_typeof(v) = 'array'
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
                 END)
$$;

-- Lower-cased, trimmed, de-duplicated skill names of a skills array (for the GIN filter).
-- Used by the generated columns candidate_profiles.skill_names and jobs.skill_names.
CREATE FUNCTION crm_skill_names(v jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT lower(btrim(e.item ->> 'name')) ORDER BY lower(btrim(e.item ->> 'name'))), '{}')
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(v) = 'array' THEN v ELSE '[]'::jsonb END) AS e(item)
    WHERE jsonb_typeof(e.item) = 'object'
      AND jsonb_typeof(e.item -> 'name') = 'string'
      AND btrim(e.item ->> 'name') <> ''
$$;

-- ---------------------------------------------------------------------------
-- Tenants and people
-- ---------------------------------------------------------------------------

CREATE TABLE organizations (
    id               uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    name             text        NOT NULL CHECK (name ~ '\S'),
    slug             text        NOT NULL UNIQUE
                                 CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 63),
    settings         jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    default_currency char(3)     NOT NULL DEFAULT 'EUR' CHECK (default_currency ~ '^[A-Z]{3}$'),
    timezone         text        NOT NULL DEFAULT 'UTC' CHECK (timezone ~ '\S'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    version          integer     NOT NULL DEFAULT 1 CHECK (version >= 1)
);

CREATE TRIGGER organizations_touch BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

-- teams.created_by -> users is added after users exists (circular reference).
CREATE TABLE teams (
    id          uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id      uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        text        NOT NULL CHECK (name ~ '\S'),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid,
    version     integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    UNIQUE (org_id, id)
);

CREATE UNIQUE INDEX teams_org_name_uq ON teams (org_id, lower(name));

CREATE TRIGGER teams_touch BEFORE UPDATE ON teams
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

CREATE TABLE users (
    id                  uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id              uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email               text        NOT NULL CONSTRAINT users_email_check CHECK (crm_is_email(email)),
    name                text        NOT NULL CHECK (name ~ '\S'),
    role                text        NOT NULL CHECK (role IN ('admin', 'manager', 'recruiter', 'sales')),
    active              boolean     NOT NULL DEFAULT true,
    team_id             uuid,
    password_hash       text        NOT NULL CHECK (password_hash <> ''),
    password_changed_at timestamptz,
    failed_login_count  integer     NOT NULL DEFAULT 0 CHECK (failed_login_count >= 0),
    locked_until        timestamptz,
    last_login_at       timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    created_by          uuid,
    version             integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    UNIQUE (org_id, id),
    CONSTRAINT users_org_email_key UNIQUE (org_id, email),
    FOREIGN KEY (org_id, team_id)    REFERENCES teams (org_id, id) ON DELETE SET NULL (team_id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

-- Login by e-mail before the organisation is known.
CREATE INDEX users_email_idx ON users (email);
CREATE INDEX users_org_team_idx ON users (org_id, team_id) WHERE team_id IS NOT NULL;
CREATE INDEX users_org_role_idx ON users (org_id, role) WHERE active;

CREATE TRIGGER users_touch BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

ALTER TABLE teams ADD FOREIGN KEY (org_id, created_by)
    REFERENCES users (org_id, id) ON DELETE SET NULL (created_by);

-- Reset tokens: only the SHA-256 of the token is stored (32 bytes).
CREATE TABLE password_reset_tokens (
    id           uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id       uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id      uuid        NOT NULL,
    token_hash   bytea       NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    requested_ip inet,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (expires_at > created_at),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);

CREATE INDEX password_reset_tokens_user_idx ON password_reset_tokens (org_id, user_id);
CREATE INDEX password_reset_tokens_expires_idx ON password_reset_tokens (expires_at);

-- ---------------------------------------------------------------------------
-- Audit log (append-only: no updated_at / version)
-- ---------------------------------------------------------------------------

CREATE TABLE audit_log (
    id          uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id      uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    actor_id    uuid,
    action      text        NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
    entity_type text,
    entity_id   uuid,
    changes     jsonb,
    ip          inet,
    user_agent  text,
    request_id  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, actor_id) REFERENCES users (org_id, id) ON DELETE SET NULL (actor_id)
);

CREATE INDEX audit_log_entity_idx ON audit_log (org_id, entity_type, entity_id, created_at DESC);
CREATE INDEX audit_log_org_created_idx ON audit_log (org_id, created_at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (org_id, actor_id, created_at DESC) WHERE actor_id IS NOT NULL;

-- ---------------------------------------------------------------------------
-- Background task queue (transactional outbox), claimed with FOR UPDATE SKIP LOCKED
-- ---------------------------------------------------------------------------

CREATE TABLE tasks (
    id           uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id       uuid        REFERENCES organizations (id) ON DELETE CASCADE,   -- NULL: platform task
    kind         text        NOT NULL CHECK (kind ~ '\S'),
    payload      jsonb       NOT NULL DEFAULT '{}',
    run_at       timestamptz NOT NULL DEFAULT now(),
    attempts     integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts integer     NOT NULL DEFAULT 10 CHECK (max_attempts >= 1),
    locked_by    text,
    locked_until timestamptz,
    last_error   text,
    done_at      timestamptz,
    failed_at    timestamptz,   -- set together with done_at when the task is given up (dead letter)
    dedupe_key   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tasks_failed_is_done_check CHECK (failed_at IS NULL OR done_at IS NOT NULL)
);

-- Claim: WHERE done_at IS NULL AND run_at <= now() ORDER BY run_at FOR UPDATE SKIP LOCKED.
CREATE INDEX tasks_claim_idx ON tasks (run_at) WHERE done_at IS NULL;
CREATE UNIQUE INDEX tasks_dedupe_key_uq ON tasks (dedupe_key) WHERE done_at IS NULL AND dedupe_key IS NOT NULL;
CREATE INDEX tasks_org_idx ON tasks (org_id, created_at DESC) WHERE org_id IS NOT NULL;
CREATE INDEX tasks_done_idx ON tasks (done_at) WHERE done_at IS NOT NULL;   -- purge of old tasks

-- ---------------------------------------------------------------------------
-- Attachments (polymorphic: entity_type + entity_id; the bytes live in object storage)
-- ---------------------------------------------------------------------------

CREATE TABLE attachments (
    id              uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id          uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    entity_type     text        NOT NULL CHECK (entity_type IN (
                                    'client', 'contact', 'sales_profile', 'candidate_profile', 'job',
                                    'job_application', 'deal', 'project', 'sales_activity',
                                    'communication', 'communication_template')),
    entity_id       uuid        NOT NULL,
    storage_key     text        NOT NULL UNIQUE CHECK (storage_key ~ '\S'),
    file_name       text        NOT NULL CHECK (file_name ~ '\S'),
    content_type    text        NOT NULL CHECK (content_type ~ '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*'),
    size_bytes      bigint      NOT NULL CHECK (size_bytes >= 0),
    checksum_sha256 char(64)    CHECK (checksum_sha256 ~ '^[0-9a-f]{64}$'),
    uploaded_by     uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid,
    version         integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, uploaded_by) REFERENCES users (org_id, id) ON DELETE SET NULL (uploaded_by),
    FOREIGN KEY (org_id, created_by)  REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

CREATE INDEX attachments_entity_idx ON attachments (org_id, entity_type, entity_id, created_at DESC);

CREATE TRIGGER attachments_touch BEFORE UPDATE ON attachments
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();
