-- 0003_recruitment.sql - candidate profiles, jobs, application stages, applications, stage history.

CREATE TABLE candidate_profiles (
    id                 uuid         PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id             uuid         NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    contact_id         uuid         NOT NULL,
    headline           text,
    summary            text,
    skills             jsonb        NOT NULL DEFAULT '[]'
                                    CONSTRAINT candidate_profiles_skills_check CHECK (crm_is_skill_list(skills)),
    -- lower-cased distinct skill names, derived from skills (never written by the application)
    skill_names        text[]       GENERATED ALWAYS AS (crm_skill_names(skills)) STORED,
    years_experience   numeric(4,1) CHECK (years_experience BETWEEN 0 AND 70),
    seniority          text         CHECK (seniority IN ('intern', 'junior', 'mid', 'senior', 'lead', 'principal', 'executive')),
    current_salary     numeric(14,2) CHECK (current_salary >= 0),
    desired_salary_min numeric(14,2) CHECK (desired_salary_min >= 0),
    desired_salary_max numeric(14,2) CHECK (desired_salary_max >= 0),
    currency           char(3)      CHECK (currency ~ '^[A-Z]{3}$'),
    desired_locations  text[]       NOT NULL DEFAULT '{}' CHECK (array_position(desired_locations, NULL) IS NULL),
    remote_preference  text         CHECK (remote_preference IN ('onsite', 'hybrid', 'remote', 'any')),
    available_from     date,
    notice_period_days integer      CHECK (notice_period_days BETWEEN 0 AND 365),
    work_authorization text,
    current_employer   text,
    current_title      text,
    is_primary         boolean      NOT NULL DEFAULT false,
    embedding          vector(1536),
    embedding_model    text,
    embedded_at        timestamptz,
    created_at         timestamptz  NOT NULL DEFAULT now(),
    updated_at         timestamptz  NOT NULL DEFAULT now(),
    created_by         uuid,
    version            integer      NOT NULL DEFAULT 1 CHECK (version >= 1),
    deleted_at         timestamptz,
    UNIQUE (org_id, id),
    CONSTRAINT candidate_profiles_salary_range_check CHECK (desired_salary_min <= desired_salary_max),
    CONSTRAINT candidate_profiles_currency_required_check
        CHECK (num_nonnulls(current_salary, desired_salary_min, desired_salary_max) = 0 OR currency IS NOT NULL),
    CONSTRAINT candidate_profiles_embedding_check
        CHECK (embedding IS NULL OR (embedding_model IS NOT NULL AND embedded_at IS NOT NULL)),
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

CREATE UNIQUE INDEX candidate_profiles_one_primary_uq ON candidate_profiles (contact_id) WHERE is_primary AND deleted_at IS NULL;
CREATE INDEX candidate_profiles_contact_idx   ON candidate_profiles (org_id, contact_id);
CREATE INDEX candidate_profiles_keyset_idx    ON candidate_profiles (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX candidate_profiles_seniority_idx ON candidate_profiles (org_id, seniority) WHERE deleted_at IS NULL;
CREATE INDEX candidate_profiles_available_idx ON candidate_profiles (org_id, available_from) WHERE deleted_at IS NULL;
CREATE INDEX candidate_profiles_skills_gin    ON candidate_profiles USING gin (skill_names);
CREATE INDEX candidate_profiles_embedding_hnsw ON candidate_profiles USING hnsw (embedding vector_cosine_ops);

CREATE TRIGGER candidate_profiles_touch BEFORE UPDATE ON candidate_profiles
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row('embedding', 'embedding_model', 'embedded_at', 'skill_names');

CREATE TABLE jobs (
    id              uuid          PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id          uuid          NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id       uuid,         -- NULL: internal role
    title           text          NOT NULL CHECK (title ~ '\S'),
    description     text,
    requirements    text,
    skills          jsonb         NOT NULL DEFAULT '[]'
                                  CONSTRAINT jobs_skills_check CHECK (crm_is_skill_list(skills)),
    skill_names     text[]        GENERATED ALWAYS AS (crm_skill_names(skills)) STORED,
    seniority       text          CHECK (seniority IN ('intern', 'junior', 'mid', 'senior', 'lead', 'principal', 'executive')),
    location        text,
    remote          text          CHECK (remote IN ('onsite', 'hybrid', 'remote')),
    salary_min      numeric(14,2) CHECK (salary_min >= 0),
    salary_max      numeric(14,2) CHECK (salary_max >= 0),
    currency        char(3)       CHECK (currency ~ '^[A-Z]{3}$'),
    employment_type text          CHECK (employment_type IN ('full_time', 'part_time', 'contract', 'temporary', 'internship')),
    status          text          NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'on_hold', 'closed', 'filled')),
    openings        integer       NOT NULL DEFAULT 1 CHECK (openings >= 1),
    owner_id        uuid,
    opened_at       timestamptz   DEFAULT now(),
    closes_at       timestamptz,
    filled_at       timestamptz,
    embedding       vector(1536),
    embedding_model text,
    embedded_at     timestamptz,
    created_at      timestamptz   NOT NULL DEFAULT now(),
    updated_at      timestamptz   NOT NULL DEFAULT now(),
    created_by      uuid,
    version         integer       NOT NULL DEFAULT 1 CHECK (version >= 1),
    deleted_at      timestamptz,
    UNIQUE (org_id, id),
    CONSTRAINT jobs_salary_range_check CHECK (salary_min <= salary_max),
    CONSTRAINT jobs_currency_required_check CHECK (num_nonnulls(salary_min, salary_max) = 0 OR currency IS NOT NULL),
    CONSTRAINT jobs_embedding_check CHECK (embedding IS NULL OR (embedding_model IS NOT NULL AND embedded_at IS NOT NULL)),
    FOREIGN KEY (org_id, client_id)  REFERENCES clients (org_id, id) ON DELETE SET NULL (client_id),
    FOREIGN KEY (org_id, owner_id)   REFERENCES users (org_id, id) ON DELETE SET NULL (owner_id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

CREATE INDEX jobs_keyset_idx   ON jobs (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX jobs_status_idx   ON jobs (org_id, status, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX jobs_client_idx   ON jobs (org_id, client_id);
CREATE INDEX jobs_owner_idx    ON jobs (org_id, owner_id) WHERE deleted_at IS NULL;
CREATE INDEX jobs_title_trgm   ON jobs USING gin (title gin_trgm_ops);
CREATE INDEX jobs_skills_gin   ON jobs USING gin (skill_names);
CREATE INDEX jobs_embedding_hnsw ON jobs USING hnsw (embedding vector_cosine_ops);

CREATE TRIGGER jobs_touch BEFORE UPDATE ON jobs
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row('embedding', 'embedding_model', 'embedded_at', 'skill_names');

-- The organisation's recruitment pipeline (shared by all jobs).
CREATE TABLE application_stages (
    id         uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id     uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name       text        NOT NULL CHECK (name ~ '\S'),
    position   integer     NOT NULL CHECK (position >= 0),
    kind       text        NOT NULL DEFAULT 'active' CHECK (kind IN ('active', 'hired', 'rejected')),
    is_default boolean     NOT NULL DEFAULT false,   -- the stage new applications start in
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    version    integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    UNIQUE (org_id, id),
    -- deferred so that a reorder (swap positions) can be done with plain UPDATEs in one transaction
    CONSTRAINT application_stages_org_position_key UNIQUE (org_id, position) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

CREATE UNIQUE INDEX application_stages_org_name_uq ON application_stages (org_id, lower(name));
CREATE UNIQUE INDEX application_stages_one_default_uq ON application_stages (org_id) WHERE is_default;

CREATE TRIGGER application_stages_touch BEFORE UPDATE ON application_stages
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

CREATE TABLE job_applications (
    id                   uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id               uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    job_id               uuid        NOT NULL,
    candidate_profile_id uuid        NOT NULL,
    stage_id             uuid        NOT NULL,
    status               text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'hired', 'rejected', 'withdrawn')),
    source               text,
    rating               smallint    CHECK (rating BETWEEN 1 AND 5),
    rejection_reason     text,
    applied_at           timestamptz NOT NULL DEFAULT now(),
    stage_entered_at     timestamptz NOT NULL DEFAULT now(),   -- time in current stage
    owner_id             uuid,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    created_by           uuid,
    version              integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    UNIQUE (org_id, id),
    CONSTRAINT job_applications_job_candidate_key UNIQUE (job_id, candidate_profile_id),
    FOREIGN KEY (org_id, job_id)               REFERENCES jobs (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, candidate_profile_id) REFERENCES candidate_profiles (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, stage_id)             REFERENCES application_stages (org_id, id),   -- NO ACTION: a stage in use cannot be deleted
    FOREIGN KEY (org_id, owner_id)             REFERENCES users (org_id, id) ON DELETE SET NULL (owner_id),
    FOREIGN KEY (org_id, created_by)           REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);

CREATE INDEX job_applications_job_stage_idx ON job_applications (org_id, job_id, stage_id);
CREATE INDEX job_applications_candidate_idx ON job_applications (org_id, candidate_profile_id);
CREATE INDEX job_applications_stage_idx     ON job_applications (org_id, stage_id);
CREATE INDEX job_applications_keyset_idx    ON job_applications (org_id, created_at DESC, id DESC);
CREATE INDEX job_applications_status_idx    ON job_applications (org_id, status, updated_at DESC);
CREATE INDEX job_applications_owner_idx     ON job_applications (org_id, owner_id) WHERE status = 'active';

CREATE TRIGGER job_applications_touch BEFORE UPDATE ON job_applications
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row();

-- Every stage move of an application (append-only); from_stage_id NULL = the application was created.
CREATE TABLE application_stage_history (
    id             uuid        PRIMARY KEY DEFAULT crm_uuid_v7(),
    org_id         uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    application_id uuid        NOT NULL,
    from_stage_id  uuid,
    to_stage_id    uuid        NOT NULL,
    moved_by       uuid,
    moved_at       timestamptz NOT NULL DEFAULT now(),
    note           text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, application_id) REFERENCES job_applications (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, from_stage_id)  REFERENCES application_stages (org_id, id),
    FOREIGN KEY (org_id, to_stage_id)    REFERENCES application_stages (org_id, id),
    FOREIGN KEY (org_id, moved_by)       REFERENCES users (org_id, id) ON DELETE SET NULL (moved_by)
);

CREATE INDEX application_stage_history_app_idx  ON application_stage_history (org_id, application_id, moved_at);
CREATE INDEX application_stage_history_to_idx   ON application_stage_history (org_id, to_stage_id, moved_at);
CREATE INDEX application_stage_history_from_idx ON application_stage_history (org_id, from_stage_id) WHERE from_stage_id IS NOT NULL;
