-- 0005_communications.sql - message templates, messages (e-mail, WhatsApp, LinkedIn), delivery events.

CREATE TABLE communication_templates (
    id         uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id     uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    channel    text        NOT NULL CHECK (channel IN ('email', 'whatsapp', 'linkedin')),
    category   text        NOT NULL DEFAULT 'general' CHECK (category ~ '^[a-z][a-z0-9_]*$'),   -- e.g. recruiting, sales, general
    name       text        NOT NULL CHECK (name ~ '\S'),
    subject    text,
    body       text        NOT NULL CHECK (body ~ '\S'),
    variables  text[]      NOT NULL DEFAULT '{}' CHECK (array_position(variables, NULL) IS NULL),
    active     boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    version    integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    deleted_at timestamptz,
    UNIQUE (org_id, id),
    CONSTRAINT communication_templates_subject_check CHECK (channel <> 'email' OR (subject IS NOT NULL AND subject ~ '\S')),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

CREATE UNIQUE INDEX communication_templates_name_uq ON communication_templates (org_id, channel, lower(name))
    WHERE deleted_at IS NULL;
CREATE INDEX communication_templates_list_idx ON communication_templates (org_id, channel, category) WHERE deleted_at IS NULL;

CREATE TRIGGER communication_templates_touch BEFORE UPDATE ON communication_templates
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

CREATE TABLE communications (
    id           uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id       uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    channel      text        NOT NULL CHECK (channel IN ('email', 'whatsapp', 'linkedin')),
    direction    text        NOT NULL DEFAULT 'outbound' CHECK (direction IN ('outbound', 'inbound')),
    contact_id   uuid,       -- NULL: inbound from an unknown sender
    template_id  uuid,
    subject      text,
    body         text,
    to_address   text,
    from_address text,
    status       text        NOT NULL DEFAULT 'draft' CHECK (status IN (
                                 'draft', 'scheduled', 'queued', 'sending', 'sent', 'delivered',
                                 'read', 'failed', 'bounced', 'received')),
    scheduled_at timestamptz,
    queued_at    timestamptz,
    sent_at      timestamptz,
    delivered_at timestamptz,
    read_at      timestamptz,
    failed_at    timestamptz,
    external_id  text,       -- provider message id (SMTP Message-ID, WhatsApp wamid, ...)
    error        text,
    job_id       uuid,
    deal_id      uuid,
    sent_by      uuid,
    thread_key   text,
    metadata     jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid,
    version      integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    UNIQUE (org_id, id),
    CONSTRAINT communications_received_check  CHECK ((direction = 'inbound') = (status = 'received')),
    CONSTRAINT communications_scheduled_check CHECK (status <> 'scheduled' OR scheduled_at IS NOT NULL),
    FOREIGN KEY (org_id, contact_id)  REFERENCES contacts (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, template_id) REFERENCES communication_templates (org_id, id) ON DELETE SET NULL (template_id),
    FOREIGN KEY (org_id, job_id)      REFERENCES jobs (org_id, id) ON DELETE SET NULL (job_id),
    FOREIGN KEY (org_id, deal_id)     REFERENCES deals (org_id, id) ON DELETE SET NULL (deal_id),
    FOREIGN KEY (org_id, sent_by)     REFERENCES users (org_id, id) ON DELETE SET NULL (sent_by),
    FOREIGN KEY (org_id, created_by)  REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

-- Idempotent provider callbacks / inbound de-duplication. Per organisation: the same inbound
-- e-mail (one Message-ID) may legitimately reach two tenants.
CREATE UNIQUE INDEX communications_external_id_uq ON communications (org_id, channel, external_id)
    WHERE external_id IS NOT NULL;
-- Provider callbacks arrive without an organisation: look up by (channel, external_id).
CREATE INDEX communications_external_lookup_idx ON communications (channel, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX communications_contact_idx   ON communications (org_id, contact_id, created_at DESC);
CREATE INDEX communications_status_idx    ON communications (org_id, status, scheduled_at);
CREATE INDEX communications_keyset_idx    ON communications (org_id, created_at DESC, id DESC);
CREATE INDEX communications_thread_idx    ON communications (org_id, thread_key, created_at) WHERE thread_key IS NOT NULL;
CREATE INDEX communications_job_idx       ON communications (org_id, job_id) WHERE job_id IS NOT NULL;
CREATE INDEX communications_deal_idx      ON communications (org_id, deal_id) WHERE deal_id IS NOT NULL;
CREATE INDEX communications_template_idx  ON communications (org_id, template_id) WHERE template_id IS NOT NULL;
-- scheduler (all organisations): due scheduled messages
CREATE INDEX communications_due_idx       ON communications (scheduled_at) WHERE status = 'scheduled';

CREATE TRIGGER communications_touch BEFORE UPDATE ON communications
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

-- Provider delivery callbacks and other status changes of a message (append-only).
CREATE TABLE communication_events (
    id               uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id           uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    communication_id uuid        NOT NULL,
    status           text        NOT NULL CHECK (status IN (
                                     'draft', 'scheduled', 'queued', 'sending', 'sent', 'delivered',
                                     'read', 'failed', 'bounced', 'received')),
    occurred_at      timestamptz NOT NULL DEFAULT now(),
    payload          jsonb       NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, communication_id) REFERENCES communications (org_id, id) ON DELETE CASCADE
);

CREATE INDEX communication_events_message_idx ON communication_events (org_id, communication_id, occurred_at);
