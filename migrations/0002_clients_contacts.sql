-- 0002_clients_contacts.sql - client companies, contacts (people), their links, profile audit.

CREATE TABLE clients (
    id            uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id        uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name          text        NOT NULL CHECK (name ~ '\S'),
    -- normalised host: lower-case, no scheme, no "www.", no path. Not unique: the API warns.
    domain        text        CHECK (domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'
                                     AND domain !~ '^www\.'),
    industry      text,
    size          text        CHECK (size IN ('1-10', '11-50', '51-200', '201-500', '501-1000', '1001-5000', '5001+')),
    website       text        CHECK (website ~* '^https?://\S+$'),
    address_line1 text,
    address_line2 text,
    city          text,
    region        text,
    postal_code   text,
    country       char(2)     CHECK (country ~ '^[A-Z]{2}$'),
    phone         text        CONSTRAINT clients_phone_check CHECK (crm_is_e164(phone)),
    owner_id      uuid,
    status        text        NOT NULL DEFAULT 'prospect' CHECK (status IN ('prospect', 'active', 'inactive', 'churned')),
    tags          text[]      NOT NULL DEFAULT '{}' CHECK (array_position(tags, NULL) IS NULL),
    notes         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    created_by    uuid,
    version       integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    deleted_at    timestamptz,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, owner_id)   REFERENCES users (org_id, id) ON DELETE SET NULL (owner_id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

CREATE INDEX clients_keyset_idx   ON clients (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX clients_name_sort_idx ON clients (org_id, name, id) WHERE deleted_at IS NULL;
CREATE INDEX clients_owner_idx    ON clients (org_id, owner_id) WHERE deleted_at IS NULL;
CREATE INDEX clients_status_idx   ON clients (org_id, status) WHERE deleted_at IS NULL;
CREATE INDEX clients_industry_idx ON clients (org_id, industry) WHERE deleted_at IS NULL;
CREATE INDEX clients_domain_idx   ON clients (org_id, domain) WHERE domain IS NOT NULL;
CREATE INDEX clients_deleted_idx  ON clients (org_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX clients_name_trgm    ON clients USING gin (name gin_trgm_ops);
CREATE INDEX clients_domain_trgm  ON clients USING gin (domain gin_trgm_ops);
CREATE INDEX clients_tags_gin     ON clients USING gin (tags);

CREATE TRIGGER clients_touch BEFORE UPDATE ON clients
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

CREATE TABLE contacts (
    id                 uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id             uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    first_name         text        NOT NULL CHECK (first_name ~ '\S'),
    last_name          text,
    -- lower-case; deliberately NOT unique (the API answers 409 unless ?allow_duplicate=true)
    email              text        CONSTRAINT contacts_email_check CHECK (crm_is_email(email)),
    emails             jsonb       NOT NULL DEFAULT '[]'
                                   CONSTRAINT contacts_emails_check CHECK (crm_is_email_list(emails)),
    phone              text        CONSTRAINT contacts_phone_check CHECK (crm_is_e164(phone)),
    phones             jsonb       NOT NULL DEFAULT '[]'
                                   CONSTRAINT contacts_phones_check CHECK (crm_is_phone_list(phones)),
    city               text,
    country            char(2)     CHECK (country ~ '^[A-Z]{2}$'),
    linkedin_url       text        CHECK (linkedin_url ~* '^https?://\S+$'),
    owner_id           uuid,
    source             text,
    tags               text[]      NOT NULL DEFAULT '{}' CHECK (array_position(tags, NULL) IS NULL),
    -- consent / GDPR
    marketing_consent  boolean     NOT NULL DEFAULT false,
    consent_updated_at timestamptz,
    consent_source     text,
    lawful_basis       text        CHECK (lawful_basis IN ('consent', 'contract', 'legitimate_interest', 'legal_obligation')),
    do_not_contact     boolean     NOT NULL DEFAULT false,
    anonymized_at      timestamptz,
    retention_until    date,
    -- maintained by the application; a "quiet" column (does not bump version)
    last_activity_at   timestamptz,
    merged_into_id     uuid,
    search_text        text        GENERATED ALWAYS AS (
                           lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' ||
                                 coalesce(email, '') || ' ' || coalesce(phone, ''))) STORED,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    created_by         uuid,
    version            integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    deleted_at         timestamptz,
    UNIQUE (org_id, id),
    CONSTRAINT contacts_not_merged_into_self_check CHECK (merged_into_id <> id),
    FOREIGN KEY (org_id, owner_id)       REFERENCES users (org_id, id) ON DELETE SET NULL (owner_id),
    FOREIGN KEY (org_id, created_by)     REFERENCES users (org_id, id) ON DELETE SET NULL (created_by),
    FOREIGN KEY (org_id, merged_into_id) REFERENCES contacts (org_id, id) ON DELETE SET NULL (merged_into_id)
);

CREATE INDEX contacts_keyset_idx      ON contacts (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX contacts_name_sort_idx   ON contacts (org_id, last_name, first_name, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_owner_idx       ON contacts (org_id, owner_id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_email_idx       ON contacts (org_id, email);
CREATE INDEX contacts_phone_idx       ON contacts (org_id, phone);
CREATE INDEX contacts_merged_into_idx ON contacts (org_id, merged_into_id) WHERE merged_into_id IS NOT NULL;
CREATE INDEX contacts_deleted_idx     ON contacts (org_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX contacts_retention_idx   ON contacts (retention_until) WHERE retention_until IS NOT NULL AND anonymized_at IS NULL;
CREATE INDEX contacts_search_trgm     ON contacts USING gin (search_text gin_trgm_ops);
CREATE INDEX contacts_tags_gin        ON contacts USING gin (tags);
CREATE INDEX contacts_emails_gin      ON contacts USING gin (emails jsonb_path_ops);   -- emails @> '[{"email":"x"}]'

CREATE TRIGGER contacts_touch BEFORE UPDATE ON contacts
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row('last_activity_at', 'search_text');

-- A contact's roles at client companies (n:m).
CREATE TABLE client_contacts (
    id                 uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id             uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id          uuid        NOT NULL,
    contact_id         uuid        NOT NULL,
    role               text,
    title              text,
    is_primary_contact boolean     NOT NULL DEFAULT false,
    start_date         date,
    end_date           date,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    created_by         uuid,
    version            integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    UNIQUE (org_id, id),
    CONSTRAINT client_contacts_client_contact_key UNIQUE (client_id, contact_id),
    CONSTRAINT client_contacts_dates_check CHECK (end_date >= start_date),
    FOREIGN KEY (org_id, client_id)  REFERENCES clients (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

CREATE UNIQUE INDEX client_contacts_one_primary_uq ON client_contacts (client_id) WHERE is_primary_contact;
CREATE INDEX client_contacts_client_idx  ON client_contacts (org_id, client_id);
CREATE INDEX client_contacts_contact_idx ON client_contacts (org_id, contact_id);

CREATE TRIGGER client_contacts_touch BEFORE UPDATE ON client_contacts
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

-- Field-level history of a contact and its profiles (append-only).
CREATE TABLE contact_profile_audit_log (
    id           uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id       uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    contact_id   uuid        NOT NULL,
    profile_type text        NOT NULL CHECK (profile_type IN ('contact', 'sales', 'candidate')),
    profile_id   uuid,       -- sales_profiles.id / candidate_profiles.id; NULL for the contact itself
    field        text        NOT NULL CHECK (field ~ '\S'),
    old_value    jsonb,
    new_value    jsonb,
    changed_by   uuid,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    request_id   text,
    CONSTRAINT contact_profile_audit_log_profile_check CHECK ((profile_type = 'contact') = (profile_id IS NULL)),
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, changed_by) REFERENCES users (org_id, id) ON DELETE SET NULL (changed_by)
);

CREATE INDEX contact_profile_audit_log_contact_idx ON contact_profile_audit_log (org_id, contact_id, changed_at DESC);
CREATE INDEX contact_profile_audit_log_profile_idx ON contact_profile_audit_log (org_id, profile_id, changed_at DESC) WHERE profile_id IS NOT NULL;
