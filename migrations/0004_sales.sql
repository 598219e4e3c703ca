-- 0004_sales.sql - sales profiles, pipelines, deals, projects, activities.

CREATE TABLE sales_profiles (
    id            uuid          PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id        uuid          NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    contact_id    uuid          NOT NULL,
    client_id     uuid,         -- the company this buyer works for, when it is a client
    company_name  text,
    title         text,
    department    text,
    decision_role text          CHECK (decision_role IN ('decision_maker', 'influencer', 'champion', 'user', 'gatekeeper', 'other')),
    budget        numeric(14,2) CHECK (budget >= 0),
    currency      char(3)       CHECK (currency ~ '^[A-Z]{3}$'),
    lead_status   text          NOT NULL DEFAULT 'new'
                                CHECK (lead_status IN ('new', 'contacted', 'qualified', 'unqualified', 'nurturing', 'customer', 'lost')),
    lead_score    integer       CHECK (lead_score BETWEEN 0 AND 100),
    is_primary    boolean       NOT NULL DEFAULT false,
    notes         text,
    created_at    timestamptz   NOT NULL DEFAULT now(),
    updated_at    timestamptz   NOT NULL DEFAULT now(),
    created_by    uuid,
    version       integer       NOT NULL DEFAULT 1 CHECK (version >= 1),
    deleted_at    timestamptz,
    UNIQUE (org_id, id),
    CONSTRAINT sales_profiles_currency_required_check CHECK (budget IS NULL OR currency IS NOT NULL),
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, client_id)  REFERENCES clients (org_id, id) ON DELETE SET NULL (client_id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

CREATE UNIQUE INDEX sales_profiles_one_primary_uq ON sales_profiles (contact_id) WHERE is_primary AND deleted_at IS NULL;
CREATE INDEX sales_profiles_contact_idx     ON sales_profiles (org_id, contact_id);
CREATE INDEX sales_profiles_client_idx      ON sales_profiles (org_id, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX sales_profiles_keyset_idx      ON sales_profiles (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX sales_profiles_lead_status_idx ON sales_profiles (org_id, lead_status) WHERE deleted_at IS NULL;
CREATE INDEX sales_profiles_lead_score_idx  ON sales_profiles (org_id, lead_score DESC NULLS LAST) WHERE deleted_at IS NULL;
CREATE INDEX sales_profiles_company_trgm    ON sales_profiles USING gin (company_name gin_trgm_ops);

CREATE TRIGGER sales_profiles_touch BEFORE UPDATE ON sales_profiles
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

CREATE TABLE sales_pipelines (
    id         uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id     uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name       text        NOT NULL CHECK (name ~ '\S'),
    is_default boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    version    integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

CREATE UNIQUE INDEX sales_pipelines_org_name_uq ON sales_pipelines (org_id, lower(name));
CREATE UNIQUE INDEX sales_pipelines_one_default_uq ON sales_pipelines (org_id) WHERE is_default;

CREATE TRIGGER sales_pipelines_touch BEFORE UPDATE ON sales_pipelines
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

CREATE TABLE pipeline_stages (
    id              uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id          uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    pipeline_id     uuid        NOT NULL,
    name            text        NOT NULL CHECK (name ~ '\S'),
    position        integer     NOT NULL CHECK (position >= 0),
    win_probability integer     NOT NULL DEFAULT 0 CHECK (win_probability BETWEEN 0 AND 100),
    is_won          boolean     NOT NULL DEFAULT false,
    is_lost         boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid,
    version         integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    UNIQUE (org_id, id),
    -- target of deals (pipeline_id, stage_id): a deal's stage must belong to the deal's pipeline
    CONSTRAINT pipeline_stages_pipeline_id_id_key UNIQUE (pipeline_id, id),
    CONSTRAINT pipeline_stages_pipeline_position_key UNIQUE (pipeline_id, position) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT pipeline_stages_won_lost_check CHECK (NOT (is_won AND is_lost)),
    FOREIGN KEY (org_id, pipeline_id) REFERENCES sales_pipelines (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, created_by)  REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

CREATE UNIQUE INDEX pipeline_stages_pipeline_name_uq ON pipeline_stages (pipeline_id, lower(name));
CREATE INDEX pipeline_stages_org_pipeline_idx ON pipeline_stages (org_id, pipeline_id, position);

CREATE TRIGGER pipeline_stages_touch BEFORE UPDATE ON pipeline_stages
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

CREATE TABLE deals (
    id                  uuid          PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id              uuid          NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title               text          NOT NULL CHECK (title ~ '\S'),
    client_id           uuid,
    contact_id          uuid,
    pipeline_id         uuid          NOT NULL,
    stage_id            uuid          NOT NULL,
    value               numeric(14,2) CHECK (value >= 0),
    currency            char(3)       CHECK (currency ~ '^[A-Z]{3}$'),
    expected_close_date date,
    probability         integer       CHECK (probability BETWEEN 0 AND 100),
    owner_id            uuid,
    status              text          NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost')),
    lost_reason         text,
    won_at              timestamptz,
    lost_at             timestamptz,
    closed_at           timestamptz,
    stage_entered_at    timestamptz   NOT NULL DEFAULT now(),
    created_at          timestamptz   NOT NULL DEFAULT now(),
    updated_at          timestamptz   NOT NULL DEFAULT now(),
    created_by          uuid,
    version             integer       NOT NULL DEFAULT 1 CHECK (version >= 1),
    deleted_at          timestamptz,
    UNIQUE (org_id, id),
    CONSTRAINT deals_currency_required_check CHECK (value IS NULL OR currency IS NOT NULL),
    CONSTRAINT deals_won_at_check  CHECK (status <> 'won'  OR won_at IS NOT NULL),
    CONSTRAINT deals_lost_at_check CHECK (status <> 'lost' OR lost_at IS NOT NULL),
    FOREIGN KEY (org_id, client_id)   REFERENCES clients (org_id, id) ON DELETE SET NULL (client_id),
    FOREIGN KEY (org_id, contact_id)  REFERENCES contacts (org_id, id) ON DELETE SET NULL (contact_id),
    FOREIGN KEY (org_id, pipeline_id) REFERENCES sales_pipelines (org_id, id),   -- NO ACTION
    -- the stage must be a stage of this deal's pipeline (and thereby of this org)
    CONSTRAINT deals_pipeline_stage_fkey FOREIGN KEY (pipeline_id, stage_id) REFERENCES pipeline_stages (pipeline_id, id),
    FOREIGN KEY (org_id, owner_id)    REFERENCES users (org_id, id) ON DELETE SET NULL (owner_id),
    FOREIGN KEY (org_id, created_by)  REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

CREATE INDEX deals_keyset_idx    ON deals (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX deals_board_idx     ON deals (org_id, pipeline_id, stage_id) WHERE deleted_at IS NULL;
CREATE INDEX deals_status_idx    ON deals (org_id, status, expected_close_date) WHERE deleted_at IS NULL;
CREATE INDEX deals_owner_idx     ON deals (org_id, owner_id, status) WHERE deleted_at IS NULL;
CREATE INDEX deals_client_idx    ON deals (org_id, client_id);
CREATE INDEX deals_contact_idx   ON deals (org_id, contact_id);
CREATE INDEX deals_stage_idx     ON deals (pipeline_id, stage_id);
CREATE INDEX deals_title_trgm    ON deals USING gin (title gin_trgm_ops);

CREATE TRIGGER deals_touch BEFORE UPDATE ON deals
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

-- Every stage / status change of a deal (append-only).
CREATE TABLE deal_stage_history (
    id            uuid          PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id        uuid          NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    deal_id       uuid          NOT NULL,
    from_stage_id uuid,         -- NULL: the deal was created
    to_stage_id   uuid          NOT NULL,
    from_status   text          CHECK (from_status IN ('open', 'won', 'lost')),
    to_status     text          NOT NULL DEFAULT 'open' CHECK (to_status IN ('open', 'won', 'lost')),
    value         numeric(14,2) CHECK (value >= 0),   -- deal value at the time of the move (forecast history)
    moved_by      uuid,
    moved_at      timestamptz   NOT NULL DEFAULT now(),
    note          text,
    created_at    timestamptz   NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, deal_id)       REFERENCES deals (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, from_stage_id) REFERENCES pipeline_stages (org_id, id),
    FOREIGN KEY (org_id, to_stage_id)   REFERENCES pipeline_stages (org_id, id),
    FOREIGN KEY (org_id, moved_by)      REFERENCES users (org_id, id) ON DELETE SET NULL (moved_by)
);

CREATE INDEX deal_stage_history_deal_idx ON deal_stage_history (org_id, deal_id, moved_at);
CREATE INDEX deal_stage_history_to_idx   ON deal_stage_history (org_id, to_stage_id, moved_at);
CREATE INDEX deal_stage_history_from_idx ON deal_stage_history (org_id, from_stage_id) WHERE from_stage_id IS NOT NULL;

CREATE TABLE projects (
    id          uuid          PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id      uuid          NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id   uuid,
    deal_id     uuid,         -- the deal this project delivers
    name        text          NOT NULL CHECK (name ~ '\S'),
    description text,
    status      text          NOT NULL DEFAULT 'planned'
                              CHECK (status IN ('planned', 'active', 'on_hold', 'completed', 'cancelled')),
    budget      numeric(14,2) CHECK (budget >= 0),
    currency    char(3)       CHECK (currency ~ '^[A-Z]{3}$'),
    start_date  date,
    end_date    date,
    owner_id    uuid,
    created_at  timestamptz   NOT NULL DEFAULT now(),
    updated_at  timestamptz   NOT NULL DEFAULT now(),
    created_by  uuid,
    version     integer       NOT NULL DEFAULT 1 CHECK (version >= 1),
    deleted_at  timestamptz,
    UNIQUE (org_id, id),
    CONSTRAINT projects_dates_check CHECK (end_date >= start_date),
    CONSTRAINT projects_currency_required_check CHECK (budget IS NULL OR currency IS NOT NULL),
    FOREIGN KEY (org_id, client_id)  REFERENCES clients (org_id, id) ON DELETE SET NULL (client_id),
    FOREIGN KEY (org_id, deal_id)    REFERENCES deals (org_id, id) ON DELETE SET NULL (deal_id),
    FOREIGN KEY (org_id, owner_id)   REFERENCES users (org_id, id) ON DELETE SET NULL (owner_id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

CREATE INDEX projects_keyset_idx ON projects (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX projects_status_idx ON projects (org_id, status) WHERE deleted_at IS NULL;
CREATE INDEX projects_owner_idx  ON projects (org_id, owner_id) WHERE deleted_at IS NULL;
CREATE INDEX projects_client_idx ON projects (org_id, client_id);
CREATE INDEX projects_deal_idx   ON projects (org_id, deal_id) WHERE deal_id IS NOT NULL;

CREATE TRIGGER projects_touch BEFORE UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

-- A member is either a user (internal) or a contact (client side / contractor): exactly one.
CREATE TABLE project_team_members (
    id                 uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id             uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    project_id         uuid        NOT NULL,
    user_id            uuid,
    contact_id         uuid,
    role               text,
    allocation_percent integer     CHECK (allocation_percent BETWEEN 0 AND 100),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    created_by         uuid,
    version            integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    UNIQUE (org_id, id),
    CONSTRAINT project_team_members_one_member_check CHECK (num_nonnulls(user_id, contact_id) = 1),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id)    REFERENCES users (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

CREATE UNIQUE INDEX project_team_members_user_uq    ON project_team_members (project_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX project_team_members_contact_uq ON project_team_members (project_id, contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX project_team_members_project_idx ON project_team_members (org_id, project_id);
CREATE INDEX project_team_members_user_idx    ON project_team_members (org_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX project_team_members_contact_idx ON project_team_members (org_id, contact_id) WHERE contact_id IS NOT NULL;

CREATE TRIGGER project_team_members_touch BEFORE UPDATE ON project_team_members
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

-- Calls, meetings, e-mails logged by hand, to-dos and notes. Linked to at least one of
-- contact / client / deal / project; hard-deleting any linked row removes the activity.
CREATE TABLE sales_activities (
    id           uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id       uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    type         text        NOT NULL CHECK (type IN ('call', 'meeting', 'email', 'task', 'note')),
    subject      text        NOT NULL CHECK (subject ~ '\S'),
    body         text,
    due_at       timestamptz,
    completed_at timestamptz,
    reminder_at  timestamptz,
    contact_id   uuid,
    client_id    uuid,
    deal_id      uuid,
    project_id   uuid,
    owner_id     uuid,
    outcome      text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid,
    version      integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    deleted_at   timestamptz,
    UNIQUE (org_id, id),
    CONSTRAINT sales_activities_link_check CHECK (num_nonnulls(contact_id, client_id, deal_id, project_id) >= 1),
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, client_id)  REFERENCES clients (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, deal_id)    REFERENCES deals (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, owner_id)   REFERENCES users (org_id, id) ON DELETE SET NULL (owner_id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

-- "my open tasks by due date"
CREATE INDEX sales_activities_my_open_idx ON sales_activities (org_id, owner_id, due_at)
    WHERE completed_at IS NULL AND deleted_at IS NULL;
CREATE INDEX sales_activities_keyset_idx  ON sales_activities (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX sales_activities_contact_idx ON sales_activities (org_id, contact_id, created_at DESC) WHERE contact_id IS NOT NULL;
CREATE INDEX sales_activities_client_idx  ON sales_activities (org_id, client_id, created_at DESC) WHERE client_id IS NOT NULL;
CREATE INDEX sales_activities_deal_idx    ON sales_activities (org_id, deal_id, created_at DESC) WHERE deal_id IS NOT NULL;
CREATE INDEX sales_activities_project_idx ON sales_activities (org_id, project_id, created_at DESC) WHERE project_id IS NOT NULL;
-- reminder scanner (all organisations)
CREATE INDEX sales_activities_reminder_idx ON sales_activities (reminder_at)
    WHERE reminder_at IS NOT NULL AND completed_at IS NULL AND deleted_at IS NULL;

CREATE TRIGGER sales_activities_touch BEFORE UPDATE ON sales_activities
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();
