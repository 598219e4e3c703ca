-- seeds/demo.sql - demo data for one organisation, "Northwind Talent & Sales".
--
-- Plain SQL, run in one transaction by `crm-server seed` (no psql meta-commands).
-- Re-running it resets the demo organisation: its row is deleted first and every tenant
-- row goes with it (ON DELETE CASCADE).
-- Deterministic: fixed ids (00000000-0000-7000-<table tag>-<number>), values derived from
-- generate_series counters, and random() only after setseed(0.42). Timestamps are relative
-- to now(), so the demo always looks current (some tasks overdue, some due soon).
-- Users get password_hash '!seed-placeholder', replaced by the seed command with argon2id.
-- No string literal or comment in this file contains a semicolon, so it may be split
-- into statements naively.
--
-- Id tags: 8101 clients, 8102 contacts, 8104 sales_profiles, 8105 candidate_profiles,
-- 8106 jobs, 8107 application_stages, 8108 job_applications, 8109 sales_pipelines,
-- 8110 pipeline_stages, 8111 deals, 8112 projects, 8113 communication_templates, 8114 teams.

SELECT setseed(0.42);

DELETE FROM organizations WHERE id = '00000000-0000-7000-8000-000000000001';

CREATE FUNCTION pg_temp.sid(tag text, n integer) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$
    SELECT ('00000000-0000-7000-' || tag || '-' || lpad(n::text, 12, '0'))::uuid
$$;

-- ---------------------------------------------------------------------------
-- Reference data (temporary tables, dropped at the end)
-- ---------------------------------------------------------------------------

CREATE TEMP TABLE seed_first_name (n integer PRIMARY KEY, name text NOT NULL);
INSERT INTO seed_first_name (n, name)
SELECT o, v FROM unnest(ARRAY[
    'Olivia', 'Liam', 'Emma', 'Noah', 'Sofia', 'Lukas', 'Amara', 'Mateo', 'Chloe', 'Ethan',
    'Hannah', 'Jonas', 'Isabella', 'Omar', 'Maya', 'Felix', 'Zara', 'Leon', 'Grace', 'Arjun',
    'Nora', 'Daniel', 'Elena', 'Samuel', 'Priya', 'Oscar', 'Laura', 'Hugo', 'Aisha', 'Victor',
    'Freya', 'Marco', 'Ingrid', 'Tariq', 'Julia', 'Kofi', 'Clara', 'Mikael', 'Yuki', 'Adam'
]) WITH ORDINALITY AS t(v, o);

CREATE TEMP TABLE seed_last_name (n integer PRIMARY KEY, name text NOT NULL);
INSERT INTO seed_last_name (n, name)
SELECT o, v FROM unnest(ARRAY[
    'Smith', 'Johnson', 'Schmidt', 'Garcia', 'Rossi', 'Dubois', 'Kowalski', 'Nielsen', 'Andersson', 'Okafor',
    'Patel', 'Khan', 'Novak', 'Silva', 'Costa', 'Murphy', 'Kelly', 'Fischer', 'Weber', 'Jansen',
    'Visser', 'Bakker', 'Lindqvist', 'Berg', 'Haddad', 'Mensah', 'Tanaka', 'Kim', 'Chen', 'Nguyen',
    'Lopez', 'Martin', 'Bernard', 'Moreau', 'Horvat', 'Popescu', 'Brown', 'Taylor', 'Wilson', 'Evans'
]) WITH ORDINALITY AS t(v, o);

CREATE TEMP TABLE seed_city (n integer PRIMARY KEY, city text NOT NULL, region text, country char(2) NOT NULL, currency char(3) NOT NULL);
INSERT INTO seed_city (n, city, region, country, currency) VALUES
    (1,  'London',     'England',       'GB', 'GBP'),
    (2,  'Manchester', 'England',       'GB', 'GBP'),
    (3,  'Berlin',     'Berlin',        'DE', 'EUR'),
    (4,  'Munich',     'Bavaria',       'DE', 'EUR'),
    (5,  'Amsterdam',  'North Holland', 'NL', 'EUR'),
    (6,  'Paris',      'Ile-de-France', 'FR', 'EUR'),
    (7,  'Madrid',     'Madrid',        'ES', 'EUR'),
    (8,  'Stockholm',  'Stockholm',     'SE', 'SEK'),
    (9,  'Dublin',     'Leinster',      'IE', 'EUR'),
    (10, 'New York',   'NY',            'US', 'USD'),
    (11, 'Boston',     'MA',            'US', 'USD'),
    (12, 'Austin',     'TX',            'US', 'USD'),
    (13, 'Toronto',    'Ontario',       'CA', 'CAD'),
    (14, 'Warsaw',     'Masovia',       'PL', 'PLN'),
    (15, 'Lisbon',     'Lisbon',        'PT', 'EUR'),
    (16, 'Zurich',     'Zurich',        'CH', 'CHF');

CREATE TEMP TABLE seed_company (n integer PRIMARY KEY, name text NOT NULL, domain text NOT NULL, industry text NOT NULL, city_n integer NOT NULL);
INSERT INTO seed_company (n, name, domain, industry, city_n)
SELECT v.n, v.name, v.domain, v.industry, ((v.n * 5) % 16) + 1
FROM (VALUES
    (1, 'Acme Logistics', 'acme-logistics.example', 'Logistics'),
    (2, 'Bluefin Analytics', 'bluefin-analytics.example', 'Software'),
    (3, 'Brightwater Energy', 'brightwater-energy.example', 'Energy'),
    (4, 'Cobalt Health', 'cobalthealth.example', 'Healthcare'),
    (5, 'Crescent Retail Group', 'crescent-retail.example', 'Retail'),
    (6, 'Driftwood Studios', 'driftwood-studios.example', 'Media'),
    (7, 'Evergreen Foods', 'evergreen-foods.example', 'Food and Beverage'),
    (8, 'Falcon Aerospace', 'falcon-aero.example', 'Aerospace'),
    (9, 'Granite Capital', 'granite-capital.example', 'Financial Services'),
    (10, 'Harbor Freight Lines', 'harbor-freight.example', 'Logistics'),
    (11, 'Ironclad Security', 'ironclad-security.example', 'Cybersecurity'),
    (12, 'Juniper Biotech', 'juniper-bio.example', 'Biotech'),
    (13, 'Keystone Construction', 'keystone-build.example', 'Construction'),
    (14, 'Lumen Robotics', 'lumen-robotics.example', 'Manufacturing'),
    (15, 'Meridian Insurance', 'meridian-insurance.example', 'Insurance'),
    (16, 'Nimbus Cloud', 'nimbus-cloud.example', 'Software'),
    (17, 'Oakridge Pharma', 'oakridge-pharma.example', 'Pharmaceuticals'),
    (18, 'Pinnacle Consulting', 'pinnacle-consulting.example', 'Consulting'),
    (19, 'Quartz Payments', 'quartz-pay.example', 'Fintech'),
    (20, 'Redwood Media', 'redwood-media.example', 'Media'),
    (21, 'Silverline Telecom', 'silverline-telecom.example', 'Telecommunications'),
    (22, 'Summit Outdoor', 'summit-outdoor.example', 'Retail'),
    (23, 'Tidewater Shipping', 'tidewater-shipping.example', 'Logistics'),
    (24, 'Umbra Games', 'umbra-games.example', 'Gaming'),
    (25, 'Vertex Automotive', 'vertex-auto.example', 'Automotive'),
    (26, 'Willow Education', 'willow-edu.example', 'Education'),
    (27, 'Xenon Semiconductors', 'xenon-semi.example', 'Semiconductors'),
    (28, 'Yellowstone Hotels', 'yellowstone-hotels.example', 'Hospitality'),
    (29, 'Zephyr Mobility', 'zephyr-mobility.example', 'Transportation'),
    (30, 'Atlas Legal Partners', 'atlas-legal.example', 'Legal'),
    (31, 'Beacon Learning', 'beacon-learning.example', 'Education'),
    (32, 'Cedar and Stone Architects', 'cedarstone.example', 'Architecture'),
    (33, 'Delta Agritech', 'delta-agritech.example', 'Agriculture'),
    (34, 'Ember Fintech', 'ember-fintech.example', 'Fintech'),
    (35, 'Fjord Renewables', 'fjord-renewables.example', 'Energy'),
    (36, 'Gridline Utilities', 'gridline.example', 'Utilities'),
    (37, 'Helix Diagnostics', 'helix-diagnostics.example', 'Healthcare'),
    (38, 'Indigo Fashion', 'indigo-fashion.example', 'Retail'),
    (39, 'Jade Hospitality', 'jade-hospitality.example', 'Hospitality'),
    (40, 'Kestrel Data', 'kestrel-data.example', 'Software')
) AS v(n, name, domain, industry);

-- Job families: a title and the skills it needs (display spelling, the database lower-cases).
CREATE TEMP TABLE seed_role (n integer PRIMARY KEY, title text NOT NULL, skills text[] NOT NULL);
INSERT INTO seed_role (n, title, skills) VALUES
    (1,  'Backend Engineer',       ARRAY['Python', 'PostgreSQL', 'Docker', 'AWS']),
    (2,  'Frontend Engineer',      ARRAY['TypeScript', 'React', 'CSS', 'GraphQL']),
    (3,  'Data Engineer',          ARRAY['Python', 'SQL', 'Spark', 'Airflow']),
    (4,  'DevOps Engineer',        ARRAY['Kubernetes', 'Terraform', 'AWS', 'Linux']),
    (5,  'Data Scientist',         ARRAY['Python', 'Machine Learning', 'SQL', 'Statistics']),
    (6,  'Product Manager',        ARRAY['Product Management', 'Agile', 'SQL', 'Stakeholder Management']),
    (7,  'UX Designer',            ARRAY['Figma', 'User Research', 'Prototyping', 'Accessibility']),
    (8,  'Account Executive',      ARRAY['Salesforce', 'Negotiation', 'B2B Sales', 'Prospecting']),
    (9,  'Financial Analyst',      ARRAY['Excel', 'Financial Modeling', 'SQL', 'Power BI']),
    (10, 'Supply Chain Manager',   ARRAY['Logistics', 'SAP', 'Forecasting', 'Negotiation']),
    (11, 'Java Developer',         ARRAY['Java', 'Spring', 'Kafka', 'PostgreSQL']),
    (12, 'Mobile Developer',       ARRAY['Kotlin', 'Swift', 'React Native', 'GraphQL']),
    (13, 'Security Engineer',      ARRAY['Penetration Testing', 'SIEM', 'Python', 'Cloud Security']),
    (14, 'QA Automation Engineer', ARRAY['Selenium', 'Python', 'CI/CD', 'Playwright']),
    (15, 'Marketing Manager',      ARRAY['SEO', 'Content Marketing', 'HubSpot', 'Analytics']);

-- ---------------------------------------------------------------------------
-- Organisation, teams, users
-- ---------------------------------------------------------------------------

INSERT INTO organizations (id, name, slug, settings, default_currency, timezone, created_at, updated_at)
VALUES ('00000000-0000-7000-8000-000000000001', 'Northwind Talent & Sales', 'northwind',
        '{"locale": "en-GB", "week_starts_on": "monday", "features": {"ai_matching": true, "whatsapp": true}}',
        'GBP', 'Europe/London', now() - interval '800 days', now() - interval '800 days');

INSERT INTO teams (id, org_id, name, description, created_at, updated_at) VALUES
    (pg_temp.sid('8114', 1), '00000000-0000-7000-8000-000000000001', 'Recruitment', 'Permanent and contract recruitment desk', now() - interval '790 days', now() - interval '790 days'),
    (pg_temp.sid('8114', 2), '00000000-0000-7000-8000-000000000001', 'Sales',       'New business and account management',   now() - interval '790 days', now() - interval '790 days');

INSERT INTO users (id, org_id, email, name, role, team_id, password_hash, password_changed_at, last_login_at, created_at, updated_at) VALUES
    ('00000000-0000-7000-8000-000000000101', '00000000-0000-7000-8000-000000000001', 'admin@northwind.example',         'Alex Morgan',   'admin',     NULL,                     '!seed-placeholder', now() - interval '790 days', now() - interval '2 hours',  now() - interval '790 days', now() - interval '790 days'),
    ('00000000-0000-7000-8000-000000000102', '00000000-0000-7000-8000-000000000001', 'maria.jensen@northwind.example',  'Maria Jensen',  'manager',   NULL,                     '!seed-placeholder', now() - interval '780 days', now() - interval '5 hours',  now() - interval '780 days', now() - interval '780 days'),
    ('00000000-0000-7000-8000-000000000103', '00000000-0000-7000-8000-000000000001', 'rachel.okafor@northwind.example', 'Rachel Okafor', 'recruiter', pg_temp.sid('8114', 1), '!seed-placeholder', now() - interval '700 days', now() - interval '1 hour',   now() - interval '700 days', now() - interval '700 days'),
    ('00000000-0000-7000-8000-000000000104', '00000000-0000-7000-8000-000000000001', 'tom.lindqvist@northwind.example', 'Tom Lindqvist', 'recruiter', pg_temp.sid('8114', 1), '!seed-placeholder', now() - interval '650 days', now() - interval '1 day',    now() - interval '650 days', now() - interval '650 days'),
    ('00000000-0000-7000-8000-000000000105', '00000000-0000-7000-8000-000000000001', 'sam.patel@northwind.example',     'Sam Patel',     'sales',     pg_temp.sid('8114', 2), '!seed-placeholder', now() - interval '600 days', now() - interval '3 hours',  now() - interval '600 days', now() - interval '600 days'),
    ('00000000-0000-7000-8000-000000000106', '00000000-0000-7000-8000-000000000001', 'lena.fischer@northwind.example',  'Lena Fischer',  'sales',     pg_temp.sid('8114', 2), '!seed-placeholder', now() - interval '550 days', now() - interval '2 days',   now() - interval '550 days', now() - interval '550 days');

UPDATE teams SET created_by = '00000000-0000-7000-8000-000000000101' WHERE org_id = '00000000-0000-7000-8000-000000000001';
UPDATE users SET created_by = '00000000-0000-7000-8000-000000000101'
WHERE org_id = '00000000-0000-7000-8000-000000000001' AND id <> '00000000-0000-7000-8000-000000000101';

-- ---------------------------------------------------------------------------
-- Clients (40)
-- ---------------------------------------------------------------------------

INSERT INTO clients (id, org_id, name, domain, industry, size, website, address_line1, city, region, postal_code, country,
                     phone, owner_id, status, tags, notes, created_at, updated_at, created_by)
SELECT pg_temp.sid('8101', co.n), '00000000-0000-7000-8000-000000000001', co.name, co.domain, co.industry,
       (ARRAY['1-10', '11-50', '51-200', '201-500', '501-1000', '1001-5000', '5001+'])[1 + (co.n * 3) % 7],
       'https://www.' || co.domain,
       (10 + co.n * 7) || ' ' || (ARRAY['High Street', 'Market Square', 'Harbour Road', 'Station Road', 'Kings Avenue'])[1 + co.n % 5],
       ci.city, ci.region, lpad((1000 + co.n * 137)::text, 5, '0'), ci.country,
       CASE WHEN ci.country IN ('US', 'CA') THEN '+1212555' || lpad((100 + co.n)::text, 4, '0')
            WHEN ci.country = 'GB' THEN '+44207946' || lpad((900 + co.n)::text, 4, '0') END,
       CASE WHEN co.n % 2 = 0 THEN '00000000-0000-7000-8000-000000000105'::uuid ELSE '00000000-0000-7000-8000-000000000106'::uuid END,
       CASE WHEN co.n % 13 = 0 THEN 'churned' WHEN co.n % 9 = 0 THEN 'inactive' WHEN co.n % 4 = 3 THEN 'prospect' ELSE 'active' END,
       CASE co.n % 4 WHEN 0 THEN ARRAY['key-account'] WHEN 1 THEN ARRAY['tech', 'growth'] WHEN 2 THEN ARRAY['enterprise'] ELSE ARRAY[]::text[] END,
       co.name || ' - ' || lower(co.industry) || ' client, headquartered in ' || ci.city || '.',
       now() - ((400 + co.n * 7) * interval '1 day'),
       now() - ((10 + co.n) * interval '1 day'),
       CASE WHEN co.n % 2 = 0 THEN '00000000-0000-7000-8000-000000000105'::uuid ELSE '00000000-0000-7000-8000-000000000106'::uuid END
FROM seed_company co JOIN seed_city ci ON ci.n = co.city_n;

-- ---------------------------------------------------------------------------
-- Contacts (300): i % 3 = 0 candidate only, 1 buyer only, 2 both profiles (dual)
-- ---------------------------------------------------------------------------

CREATE TEMP TABLE seed_contact AS
SELECT g.i,
       pg_temp.sid('8102', g.i) AS id,
       g.i % 3 AS kind,
       fn.name AS first_name,
       ln.name AS last_name,
       lower(fn.name || '.' || ln.name) AS local_part,
       ((g.i * 7) % 40) + 1 AS company_n,
       CASE WHEN g.i % 3 = 0 THEN ((g.i * 5) % 16) + 1 ELSE (SELECT co.city_n FROM seed_company co WHERE co.n = ((g.i * 7) % 40) + 1) END AS city_n,
       CASE WHEN g.i % 10 = 5 THEN NULL
            WHEN g.i % 2 = 0 THEN '+44207946' || lpad(g.i::text, 4, '0')
            ELSE '+1212555' || lpad((100 + g.i % 100)::text, 4, '0') END AS phone,
       now() - ((200 + (g.i * 37) % 300) * interval '1 day') - ((g.i % 24) * interval '1 hour') AS created_at,
       g.i IN (31, 61, 91) AS deleted
FROM generate_series(1, 300) AS g(i)
JOIN seed_first_name fn ON fn.n = ((g.i - 1) % 40) + 1
JOIN seed_last_name ln ON ln.n = (((g.i - 1) / 40 + 3 * ((g.i - 1) % 40)) % 40) + 1;

INSERT INTO contacts (id, org_id, first_name, last_name, email, emails, phone, phones, city, country, linkedin_url,
                      owner_id, source, tags, marketing_consent, consent_updated_at, consent_source, lawful_basis,
                      do_not_contact, retention_until, created_at, updated_at, created_by, deleted_at)
SELECT c.id, '00000000-0000-7000-8000-000000000001', c.first_name, c.last_name,
       c.local_part || '@' || CASE WHEN c.kind = 0 THEN (ARRAY['example.com', 'example.org', 'example.net'])[1 + c.i % 3] ELSE co.domain END,
       CASE WHEN c.kind = 2 THEN jsonb_build_array(jsonb_build_object('email', c.local_part || '@example.net', 'label', 'personal'))
            ELSE '[]'::jsonb END,
       c.phone,
       CASE WHEN c.i % 7 = 0 THEN jsonb_build_array(jsonb_build_object('phone', '+447700900' || lpad(c.i::text, 3, '0'), 'label', 'mobile'))
            ELSE '[]'::jsonb END,
       ci.city, ci.country,
       'https://www.linkedin.com/in/' || replace(c.local_part, '.', '-') || '-' || c.i,
       CASE WHEN c.kind = 0 THEN (CASE WHEN c.i % 2 = 0 THEN '00000000-0000-7000-8000-000000000103' ELSE '00000000-0000-7000-8000-000000000104' END)::uuid
            ELSE (CASE WHEN c.i % 2 = 0 THEN '00000000-0000-7000-8000-000000000105' ELSE '00000000-0000-7000-8000-000000000106' END)::uuid END,
       (ARRAY['referral', 'linkedin', 'import', 'website', 'event', 'inbound'])[1 + c.i % 6],
       CASE c.kind WHEN 0 THEN ARRAY['talent-pool'] WHEN 1 THEN ARRAY['buyer'] ELSE ARRAY['talent-pool', 'buyer'] END
           || CASE WHEN c.i % 11 = 0 THEN ARRAY['vip'] ELSE ARRAY[]::text[] END,
       c.i % 4 <> 0,
       CASE WHEN c.i % 4 <> 0 THEN c.created_at + interval '1 day' END,
       CASE WHEN c.i % 4 <> 0 THEN (ARRAY['web_form', 'email_double_opt_in', 'event_signup'])[1 + c.i % 3] END,
       CASE WHEN c.i % 4 <> 0 THEN 'consent' WHEN c.kind = 1 THEN 'legitimate_interest' ELSE 'legitimate_interest' END,
       c.i % 47 = 0,
       CASE WHEN c.kind = 0 THEN (c.created_at + interval '3 years')::date END,
       c.created_at,
       c.created_at + interval '2 days',
       CASE WHEN c.kind = 0 THEN '00000000-0000-7000-8000-000000000103'::uuid ELSE '00000000-0000-7000-8000-000000000105'::uuid END,
       CASE WHEN c.deleted THEN now() - interval '12 days' END
FROM seed_contact c
JOIN seed_company co ON co.n = c.company_n
JOIN seed_city ci ON ci.n = c.city_n;

-- Buyers work at a client company. The first buyer (by number) of each client is its primary contact.
INSERT INTO client_contacts (org_id, client_id, contact_id, role, title, is_primary_contact, start_date, created_at, updated_at, created_by)
SELECT '00000000-0000-7000-8000-000000000001'::uuid, pg_temp.sid('8101', c.company_n), c.id,
       (ARRAY['decision maker', 'hiring manager', 'procurement', 'hr partner', 'finance'])[1 + c.i % 5],
       (ARRAY['Head of Talent', 'VP Engineering', 'CTO', 'HR Director', 'Procurement Manager',
              'Operations Director', 'CEO', 'Hiring Manager', 'Talent Acquisition Lead', 'CFO'])[1 + c.i % 10],
       row_number() OVER (PARTITION BY c.company_n ORDER BY c.i) = 1,
       (c.created_at - interval '400 days')::date,
       c.created_at, c.created_at, '00000000-0000-7000-8000-000000000105'
FROM seed_contact c
WHERE c.kind IN (1, 2) AND NOT c.deleted;

-- ---------------------------------------------------------------------------
-- Profiles
-- ---------------------------------------------------------------------------

INSERT INTO sales_profiles (id, org_id, contact_id, client_id, company_name, title, department, decision_role, budget, currency,
                            lead_status, lead_score, is_primary, notes, created_at, updated_at, created_by)
SELECT pg_temp.sid('8104', c.i), '00000000-0000-7000-8000-000000000001', c.id, pg_temp.sid('8101', c.company_n), co.name,
       (ARRAY['Head of Talent', 'VP Engineering', 'CTO', 'HR Director', 'Procurement Manager',
              'Operations Director', 'CEO', 'Hiring Manager', 'Talent Acquisition Lead', 'CFO'])[1 + c.i % 10],
       (ARRAY['People', 'Engineering', 'Technology', 'HR', 'Procurement', 'Operations', 'Executive', 'Product', 'Talent', 'Finance'])[1 + c.i % 10],
       (ARRAY['decision_maker', 'influencer', 'champion', 'user', 'gatekeeper', 'other'])[1 + c.i % 6],
       CASE WHEN c.i % 4 <> 0 THEN round((20 + (c.i * 13) % 180) * 1000 + (random() * 1000)::numeric, 2) END,
       ci.currency,
       (ARRAY['new', 'contacted', 'qualified', 'unqualified', 'nurturing', 'customer', 'lost'])[1 + c.i % 7],
       (c.i * 17) % 101,
       true,
       CASE WHEN c.i % 5 = 0 THEN 'Prefers short calls. Budget signed off quarterly.' END,
       c.created_at + interval '1 day', c.created_at + interval '30 days',
       CASE WHEN c.i % 2 = 0 THEN '00000000-0000-7000-8000-000000000105'::uuid ELSE '00000000-0000-7000-8000-000000000106'::uuid END
FROM seed_contact c
JOIN seed_company co ON co.n = c.company_n
JOIN seed_city ci ON ci.n = co.city_n
WHERE c.kind IN (1, 2);

-- A few dual contacts also advise a second company: an additional, non-primary sales profile.
INSERT INTO sales_profiles (id, org_id, contact_id, client_id, company_name, title, decision_role, lead_status, lead_score,
                            is_primary, created_at, updated_at, created_by)
SELECT pg_temp.sid('8104', 1000 + c.i), '00000000-0000-7000-8000-000000000001', c.id,
       pg_temp.sid('8101', ((c.company_n + 10) % 40) + 1), co2.name, 'Advisory Board Member', 'influencer', 'nurturing', 40 + c.i,
       false, c.created_at + interval '60 days', c.created_at + interval '60 days', '00000000-0000-7000-8000-000000000106'
FROM seed_contact c
JOIN seed_company co2 ON co2.n = ((c.company_n + 10) % 40) + 1
WHERE c.kind = 2 AND c.i <= 23;

INSERT INTO candidate_profiles (id, org_id, contact_id, headline, summary, skills, years_experience, seniority,
                                current_salary, desired_salary_min, desired_salary_max, currency, desired_locations,
                                remote_preference, available_from, notice_period_days, work_authorization,
                                current_employer, current_title, is_primary, created_at, updated_at, created_by)
SELECT pg_temp.sid('8105', c.i), '00000000-0000-7000-8000-000000000001', c.id,
       s.sen_label || r.title || ' with ' || s.years || ' years of experience',
       'Experienced ' || lower(r.title) || ' based in ' || ci.city || '. Strong in ' || array_to_string(r.skills[1:2], ' and ') || '.',
       (SELECT jsonb_agg(jsonb_build_object('name', sk.name, 'level', 1 + (c.i + sk.o::integer) % 5) ORDER BY sk.o)
        FROM unnest(r.skills) WITH ORDINALITY AS sk(name, o)),
       s.years, s.seniority,
       s.base, s.base * 1.10, s.base * 1.30, ci.currency,
       ARRAY[ci.city] || CASE WHEN c.i % 4 = 0 THEN ARRAY['Remote'] ELSE ARRAY[]::text[] END,
       (ARRAY['onsite', 'hybrid', 'remote', 'any'])[1 + c.i % 4],
       (now() + ((c.i % 90) * interval '1 day'))::date,
       (ARRAY[0, 14, 30, 60, 90])[1 + c.i % 5],
       CASE WHEN ci.country IN ('US', 'CA') THEN 'Authorised to work in ' || ci.country ELSE 'EU/UK right to work' END,
       CASE WHEN c.kind = 2 THEN co.name ELSE (SELECT co3.name FROM seed_company co3 WHERE co3.n = ((c.i * 3) % 40) + 1) END,
       s.sen_label || r.title,
       true,
       c.created_at + interval '1 day', c.created_at + interval '20 days',
       CASE WHEN c.i % 2 = 0 THEN '00000000-0000-7000-8000-000000000103'::uuid ELSE '00000000-0000-7000-8000-000000000104'::uuid END
FROM seed_contact c
JOIN seed_company co ON co.n = c.company_n
JOIN seed_city ci ON ci.n = c.city_n
JOIN seed_role r ON r.n = ((c.i * 11) % 15) + 1
CROSS JOIN LATERAL (
    SELECT v.seniority, v.years, v.base,
           CASE v.seniority WHEN 'junior' THEN 'Junior ' WHEN 'senior' THEN 'Senior ' WHEN 'lead' THEN 'Lead ' ELSE '' END AS sen_label
    FROM (SELECT (ARRAY['junior', 'mid', 'senior', 'lead', 'mid', 'senior'])[1 + c.i % 6] AS seniority,
                 (ARRAY[1.5, 4.0, 8.0, 12.0, 5.5, 9.5])[1 + c.i % 6]::numeric(4,1) AS years,
                 round(((ARRAY[38000, 52000, 72000, 88000, 56000, 76000])[1 + c.i % 6]
                        * CASE ci.currency WHEN 'SEK' THEN 11 WHEN 'PLN' THEN 4.5 ELSE 1 END)::numeric, -2) AS base) v
) s
WHERE c.kind IN (0, 2);

-- Some candidates keep a second, non-primary profile for another kind of role.
INSERT INTO candidate_profiles (id, org_id, contact_id, headline, skills, years_experience, seniority, remote_preference,
                                is_primary, created_at, updated_at, created_by)
SELECT pg_temp.sid('8105', 1000 + c.i), '00000000-0000-7000-8000-000000000001', c.id,
       'Freelance ' || r.title,
       (SELECT jsonb_agg(jsonb_build_object('name', sk.name) ORDER BY sk.o) FROM unnest(r.skills) WITH ORDINALITY AS sk(name, o)),
       3.0, 'mid', 'remote', false,
       c.created_at + interval '90 days', c.created_at + interval '90 days', '00000000-0000-7000-8000-000000000103'
FROM seed_contact c
JOIN seed_role r ON r.n = ((c.i * 11 + 5) % 15) + 1
WHERE c.kind = 0 AND c.i <= 15;

-- ---------------------------------------------------------------------------
-- Recruitment: stages, jobs (25), applications (150) with stage history
-- ---------------------------------------------------------------------------

INSERT INTO application_stages (id, org_id, name, position, kind, is_default, created_at, updated_at, created_by) VALUES
    (pg_temp.sid('8107', 1), '00000000-0000-7000-8000-000000000001', 'Sourced',   0, 'active',   true,  now() - interval '790 days', now() - interval '790 days', '00000000-0000-7000-8000-000000000101'),
    (pg_temp.sid('8107', 2), '00000000-0000-7000-8000-000000000001', 'Screening', 1, 'active',   false, now() - interval '790 days', now() - interval '790 days', '00000000-0000-7000-8000-000000000101'),
    (pg_temp.sid('8107', 3), '00000000-0000-7000-8000-000000000001', 'Interview', 2, 'active',   false, now() - interval '790 days', now() - interval '790 days', '00000000-0000-7000-8000-000000000101'),
    (pg_temp.sid('8107', 4), '00000000-0000-7000-8000-000000000001', 'Offer',     3, 'active',   false, now() - interval '790 days', now() - interval '790 days', '00000000-0000-7000-8000-000000000101'),
    (pg_temp.sid('8107', 5), '00000000-0000-7000-8000-000000000001', 'Hired',     4, 'hired',    false, now() - interval '790 days', now() - interval '790 days', '00000000-0000-7000-8000-000000000101'),
    (pg_temp.sid('8107', 6), '00000000-0000-7000-8000-000000000001', 'Rejected',  5, 'rejected', false, now() - interval '790 days', now() - interval '790 days', '00000000-0000-7000-8000-000000000101');

INSERT INTO jobs (id, org_id, client_id, title, description, requirements, skills, seniority, location, remote,
                  salary_min, salary_max, currency, employment_type, status, openings, owner_id,
                  opened_at, closes_at, filled_at, created_at, updated_at, created_by)
SELECT pg_temp.sid('8106', j.n), '00000000-0000-7000-8000-000000000001',
       CASE WHEN j.n <= 22 THEN pg_temp.sid('8101', j.company_n) END,
       j.sen_label || r.title,
       CASE WHEN j.n <= 22 THEN co.name ELSE 'Northwind' END || ' is hiring a ' || lower(j.sen_label || r.title)
           || ' to join a growing team in ' || ci.city || '.',
       'Hands-on experience with ' || array_to_string(r.skills, ', ') || '.',
       (SELECT jsonb_agg(jsonb_build_object('name', sk.name, 'level', CASE WHEN sk.o <= 2 THEN 4 ELSE 3 END) ORDER BY sk.o)
        FROM unnest(r.skills) WITH ORDINALITY AS sk(name, o)),
       j.seniority,
       ci.city || ', ' || ci.country,
       (ARRAY['onsite', 'hybrid', 'remote'])[1 + j.n % 3],
       j.base, round(j.base * 1.3, -2), ci.currency,
       CASE WHEN j.n % 7 = 0 THEN 'contract' WHEN j.n % 11 = 0 THEN 'part_time' ELSE 'full_time' END,
       CASE WHEN j.n <= 18 THEN 'open' WHEN j.n <= 20 THEN 'on_hold' WHEN j.n <= 22 THEN 'closed' ELSE 'filled' END,
       1 + j.n % 3,
       (CASE WHEN j.n % 2 = 0 THEN '00000000-0000-7000-8000-000000000103' ELSE '00000000-0000-7000-8000-000000000104' END)::uuid,
       j.opened_at,
       CASE WHEN j.n <= 18 THEN now() + ((15 + j.n * 3) * interval '1 day') END,
       CASE WHEN j.n > 22 THEN now() - ((j.n - 20) * interval '1 day') END,
       j.opened_at, j.opened_at + interval '3 days',
       (CASE WHEN j.n % 2 = 0 THEN '00000000-0000-7000-8000-000000000103' ELSE '00000000-0000-7000-8000-000000000104' END)::uuid
FROM (
    SELECT g.n,
           ((g.n * 3) % 40) + 1 AS company_n,
           ((g.n - 1) % 15) + 1 AS role_n,
           (ARRAY['junior', 'mid', 'senior', 'lead', 'mid', 'senior'])[1 + g.n % 6] AS seniority,
           CASE (ARRAY['junior', 'mid', 'senior', 'lead', 'mid', 'senior'])[1 + g.n % 6]
               WHEN 'junior' THEN 'Junior ' WHEN 'senior' THEN 'Senior ' WHEN 'lead' THEN 'Lead ' ELSE '' END AS sen_label,
           (ARRAY[36000, 50000, 70000, 85000, 52000, 74000])[1 + g.n % 6]::numeric AS base,
           now() - ((100 + g.n * 4) * interval '1 day') AS opened_at
    FROM generate_series(1, 25) AS g(n)
) j
JOIN seed_role r ON r.n = j.role_n
JOIN seed_company co ON co.n = j.company_n
JOIN seed_city ci ON ci.n = CASE WHEN j.n <= 22 THEN co.city_n ELSE 1 END;

-- Plan of the applications: path = stage positions visited (0 sourced .. 3 offer, 4 hired, 5 rejected).
CREATE TEMP TABLE seed_app AS
SELECT a.n,
       pg_temp.sid('8108', a.n) AS id,
       pg_temp.sid('8106', ((a.n - 1) % 25) + 1) AS job_id,
       cp.id AS candidate_profile_id,
       CASE WHEN a.m <= 4 THEN ARRAY[0]
            WHEN a.m <= 9 THEN ARRAY[0, 1]
            WHEN a.m <= 13 THEN ARRAY[0, 1, 2]
            WHEN a.m <= 15 THEN ARRAY[0, 1, 2, 3]
            WHEN a.m = 16 THEN ARRAY[0, 1, 2, 3, 4]
            ELSE ARRAY(SELECT generate_series(0, a.n % 3)) || 5 END AS path,
       now() - ((20 + (a.n * 7) % 80) * interval '1 day') - ((a.n % 9) * interval '1 hour') AS applied_at,
       (CASE WHEN a.n % 2 = 0 THEN '00000000-0000-7000-8000-000000000103' ELSE '00000000-0000-7000-8000-000000000104' END)::uuid AS owner_id
FROM (SELECT n, n % 20 AS m FROM generate_series(1, 150) AS g(n)) a
JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rn
      FROM candidate_profiles
      WHERE org_id = '00000000-0000-7000-8000-000000000001' AND is_primary) cp
  ON cp.rn = ((a.n * 37) % 200) + 1;

INSERT INTO job_applications (id, org_id, job_id, candidate_profile_id, stage_id, status, source, rating, rejection_reason,
                              applied_at, stage_entered_at, owner_id, created_at, updated_at, created_by)
SELECT a.id, '00000000-0000-7000-8000-000000000001', a.job_id, a.candidate_profile_id,
       pg_temp.sid('8107', a.path[cardinality(a.path)] + 1),
       CASE a.path[cardinality(a.path)] WHEN 4 THEN 'hired' WHEN 5 THEN 'rejected'
            ELSE CASE WHEN a.n % 23 = 0 THEN 'withdrawn' ELSE 'active' END END,
       (ARRAY['linkedin', 'referral', 'job_board', 'career_site', 'sourced'])[1 + a.n % 5],
       CASE WHEN cardinality(a.path) > 1 THEN 1 + a.n % 5 END,
       CASE WHEN a.path[cardinality(a.path)] = 5
            THEN (ARRAY['Salary expectations too high', 'Not enough experience', 'Position filled', 'Candidate declined'])[1 + a.n % 4] END,
       a.applied_at,
       a.applied_at + ((cardinality(a.path) - 1) * 3 * interval '1 day'),
       a.owner_id,
       a.applied_at,
       a.applied_at + ((cardinality(a.path) - 1) * 3 * interval '1 day') + interval '1 hour',
       a.owner_id
FROM seed_app a;

INSERT INTO application_stage_history (org_id, application_id, from_stage_id, to_stage_id, moved_by, moved_at, note, created_at)
SELECT '00000000-0000-7000-8000-000000000001'::uuid, a.id,
       CASE WHEN p.k > 1 THEN pg_temp.sid('8107', a.path[p.k - 1] + 1) END,
       pg_temp.sid('8107', p.pos + 1),
       a.owner_id,
       a.applied_at + ((p.k - 1) * 3 * interval '1 day'),
       CASE WHEN p.pos = 2 THEN 'Interview scheduled with the hiring manager'
            WHEN p.pos = 4 THEN 'Offer accepted'
            WHEN p.pos = 5 THEN 'Feedback sent to the candidate' END,
       a.applied_at + ((p.k - 1) * 3 * interval '1 day')
FROM seed_app a
CROSS JOIN LATERAL unnest(a.path) WITH ORDINALITY AS p(pos, k);

-- ---------------------------------------------------------------------------
-- Sales: pipeline, deals (60) with history, projects (10) with team members
-- ---------------------------------------------------------------------------

INSERT INTO sales_pipelines (id, org_id, name, is_default, created_at, updated_at, created_by)
VALUES (pg_temp.sid('8109', 1), '00000000-0000-7000-8000-000000000001', 'New business', true,
        now() - interval '790 days', now() - interval '790 days', '00000000-0000-7000-8000-000000000101');

INSERT INTO pipeline_stages (id, org_id, pipeline_id, name, position, win_probability, is_won, is_lost, created_at, updated_at, created_by)
SELECT pg_temp.sid('8110', s.o::integer), '00000000-0000-7000-8000-000000000001', pg_temp.sid('8109', 1),
       s.name, s.o::integer - 1, s.prob, s.name = 'Won', s.name = 'Lost',
       now() - interval '790 days', now() - interval '790 days', '00000000-0000-7000-8000-000000000101'
FROM unnest(ARRAY['Lead', 'Qualified', 'Proposal', 'Negotiation', 'Won', 'Lost'],
            ARRAY[10, 25, 50, 75, 100, 0]) WITH ORDINALITY AS s(name, prob, o);

CREATE TEMP TABLE seed_deal AS
SELECT d.n,
       pg_temp.sid('8111', d.n) AS id,
       b.contact_id, b.client_id, b.first_name, b.client_name, b.currency,
       CASE WHEN d.n % 10 IN (0, 1) THEN ARRAY[0, 1, 2, 3, 4]
            WHEN d.n % 10 = 2 THEN ARRAY(SELECT generate_series(0, d.n % 4)) || 5
            ELSE ARRAY(SELECT generate_series(0, d.n % 4)) END AS path,
       round(((10 + (d.n * 37) % 240) * 1000 + (d.n % 4) * 500 + random() * 100)::numeric, 2) AS value,
       now() - ((60 + (d.n * 11) % 200) * interval '1 day') AS created_at,
       (CASE WHEN d.n % 2 = 0 THEN '00000000-0000-7000-8000-000000000105' ELSE '00000000-0000-7000-8000-000000000106' END)::uuid AS owner_id
FROM generate_series(1, 60) AS d(n)
JOIN (SELECT sp.contact_id, sp.client_id, c.first_name, cl.name AS client_name, ci.currency,
             row_number() OVER (ORDER BY sp.contact_id) AS rn
      FROM sales_profiles sp
      JOIN contacts c ON c.id = sp.contact_id
      JOIN clients cl ON cl.id = sp.client_id
      JOIN seed_city ci ON ci.country = cl.country AND ci.city = cl.city
      WHERE sp.org_id = '00000000-0000-7000-8000-000000000001' AND sp.is_primary AND c.deleted_at IS NULL) b
  ON b.rn = ((d.n * 7) % 197) + 1;

INSERT INTO deals (id, org_id, title, client_id, contact_id, pipeline_id, stage_id, value, currency, expected_close_date,
                   probability, owner_id, status, lost_reason, won_at, lost_at, closed_at, stage_entered_at,
                   created_at, updated_at, created_by)
SELECT d.id, '00000000-0000-7000-8000-000000000001',
       (ARRAY['Contract recruitment', 'Permanent placement', 'Executive search', 'RPO engagement', 'Team augmentation', 'Assessment centre'])[1 + d.n % 6]
           || ' - ' || d.client_name,
       d.client_id, d.contact_id, pg_temp.sid('8109', 1), pg_temp.sid('8110', d.last + 1),
       d.value, d.currency,
       (d.created_at + ((30 + d.n % 60) * interval '1 day'))::date,
       (ARRAY[10, 25, 50, 75, 100, 0])[d.last + 1],
       d.owner_id,
       CASE d.last WHEN 4 THEN 'won' WHEN 5 THEN 'lost' ELSE 'open' END,
       CASE WHEN d.last = 5 THEN (ARRAY['Budget cut', 'Chose a competitor', 'No decision', 'Bad timing'])[1 + d.n % 4] END,
       CASE WHEN d.last = 4 THEN d.moved_last END,
       CASE WHEN d.last = 5 THEN d.moved_last END,
       CASE WHEN d.last IN (4, 5) THEN d.moved_last END,
       d.moved_last,
       d.created_at, d.moved_last + interval '1 hour', d.owner_id
FROM (SELECT sd.*, sd.path[cardinality(sd.path)] AS last,
             sd.created_at + ((cardinality(sd.path) - 1) * 7 * interval '1 day') AS moved_last
      FROM seed_deal sd) d;

INSERT INTO deal_stage_history (org_id, deal_id, from_stage_id, to_stage_id, from_status, to_status, value, moved_by, moved_at, note, created_at)
SELECT '00000000-0000-7000-8000-000000000001'::uuid, d.id,
       CASE WHEN p.k > 1 THEN pg_temp.sid('8110', d.path[p.k - 1] + 1) END,
       pg_temp.sid('8110', p.pos + 1),
       CASE WHEN p.k > 1 THEN 'open' END,
       CASE p.pos WHEN 4 THEN 'won' WHEN 5 THEN 'lost' ELSE 'open' END,
       d.value, d.owner_id,
       d.created_at + ((p.k - 1) * 7 * interval '1 day'),
       CASE p.pos WHEN 2 THEN 'Proposal sent' WHEN 4 THEN 'Contract signed' WHEN 5 THEN 'Closed lost' END,
       d.created_at + ((p.k - 1) * 7 * interval '1 day')
FROM seed_deal d
CROSS JOIN LATERAL unnest(d.path) WITH ORDINALITY AS p(pos, k);

INSERT INTO projects (id, org_id, client_id, deal_id, name, description, status, budget, currency, start_date, end_date,
                      owner_id, created_at, updated_at, created_by)
SELECT pg_temp.sid('8112', w.k::integer), '00000000-0000-7000-8000-000000000001', w.client_id, w.id,
       w.client_name || ' - ' || (ARRAY['Engineering hiring programme', 'Leadership search', 'Contractor bench', 'Graduate intake', 'Data team build-out'])[1 + w.k::integer % 5],
       'Delivery of the signed engagement with ' || w.client_name || '.',
       CASE WHEN (w.won_at + interval '7 days' + ((90 + (w.k::integer % 4) * 30) * interval '1 day'))::date < current_date THEN 'completed'
            WHEN (w.won_at + interval '7 days')::date > current_date THEN 'planned'
            ELSE (ARRAY['active', 'active', 'on_hold', 'active', 'cancelled'])[1 + w.k::integer % 5] END,
       w.value, w.currency,
       (w.won_at + interval '7 days')::date,
       (w.won_at + interval '7 days' + ((90 + (w.k::integer % 4) * 30) * interval '1 day'))::date,
       w.owner_id, w.won_at + interval '1 day', w.won_at + interval '8 days', w.owner_id
FROM (SELECT d.id, d.client_id, d.client_name, d.value, d.currency, d.owner_id,
             d.created_at + interval '28 days' AS won_at,
             row_number() OVER (ORDER BY d.n) AS k
      FROM seed_deal d WHERE d.path[cardinality(d.path)] = 4) w
WHERE w.k <= 10;

INSERT INTO project_team_members (org_id, project_id, user_id, contact_id, role, allocation_percent, created_at, updated_at, created_by)
SELECT '00000000-0000-7000-8000-000000000001'::uuid, p.id, m.user_id, m.contact_id, m.role, m.alloc, p.created_at, p.created_at, p.owner_id
FROM projects p
JOIN deals d ON d.id = p.deal_id
CROSS JOIN LATERAL (VALUES
    (p.owner_id, NULL::uuid, 'Account lead', 20),
    ((CASE WHEN p.name < 'M' THEN '00000000-0000-7000-8000-000000000103' ELSE '00000000-0000-7000-8000-000000000104' END)::uuid, NULL::uuid, 'Lead recruiter', 60),
    (NULL::uuid, d.contact_id, 'Client sponsor', NULL::integer)
) AS m(user_id, contact_id, role, alloc)
WHERE p.org_id = '00000000-0000-7000-8000-000000000001';

-- ---------------------------------------------------------------------------
-- Sales activities (200): some done, some overdue, some due soon
-- ---------------------------------------------------------------------------

INSERT INTO sales_activities (org_id, type, subject, body, due_at, completed_at, reminder_at, contact_id, client_id, deal_id,
                              project_id, owner_id, outcome, created_at, updated_at, created_by)
SELECT '00000000-0000-7000-8000-000000000001'::uuid, x.type,
       CASE x.type
           WHEN 'call'    THEN 'Call with ' || x.first_name
           WHEN 'meeting' THEN 'Meeting with ' || x.first_name || ' at ' || x.client_name
           WHEN 'email'   THEN 'Emailed ' || x.first_name || ' the case studies'
           WHEN 'task'    THEN (ARRAY['Send proposal', 'Follow up on shortlist', 'Prepare contract', 'Update hiring plan'])[1 + x.n % 4]
                               || ' for ' || x.client_name
           ELSE 'Note about ' || x.client_name END,
       CASE x.type WHEN 'note' THEN 'Hiring freeze expected to lift next quarter. Keep warm.'
                   WHEN 'meeting' THEN 'Agenda: hiring plan, rates, timeline.' END,
       x.due_at,
       CASE WHEN x.type IN ('note', 'email') THEN x.created_at
            WHEN x.n % 3 = 0 THEN LEAST(x.due_at, now() - interval '1 hour') END,
       CASE WHEN x.type IN ('task', 'call', 'meeting') AND x.n % 3 <> 0 AND x.due_at > now() THEN x.due_at - interval '1 hour' END,
       x.contact_id, x.client_id, x.deal_id, x.project_id,
       x.owner_id,
       CASE WHEN x.type IN ('call', 'meeting') AND x.n % 3 = 0
            THEN (ARRAY['Interested', 'Left voicemail', 'Needs follow-up', 'Not now'])[1 + x.n % 4] END,
       x.created_at, x.created_at, x.owner_id
FROM (
    SELECT g.n,
           (ARRAY['call', 'meeting', 'email', 'task', 'note'])[1 + g.n % 5] AS type,
           CASE WHEN (ARRAY['call', 'meeting', 'email', 'task', 'note'])[1 + g.n % 5] IN ('call', 'meeting', 'task')
                THEN date_trunc('hour', now()) + (((g.n % 41) - 20) * interval '1 day') + interval '10 hours' END AS due_at,
           date_trunc('hour', now()) - ((g.n % 60 + 21) * interval '1 day') AS created_at,
           CASE WHEN g.n % 25 = 0 THEN NULL WHEN g.n % 3 = 0 THEN dl.contact_id ELSE b.contact_id END AS contact_id,
           CASE WHEN g.n % 25 = 0 THEN NULL WHEN g.n % 3 = 0 THEN dl.client_id ELSE b.client_id END AS client_id,
           CASE WHEN g.n % 25 = 0 THEN NULL WHEN g.n % 3 = 0 THEN dl.id END AS deal_id,
           CASE WHEN g.n % 25 = 0 THEN pg_temp.sid('8112', g.n / 25) END AS project_id,
           CASE WHEN g.n % 3 = 0 THEN dl.first_name ELSE b.first_name END AS first_name,
           CASE WHEN g.n % 3 = 0 THEN dl.client_name ELSE b.client_name END AS client_name,
           (ARRAY['00000000-0000-7000-8000-000000000105', '00000000-0000-7000-8000-000000000106', '00000000-0000-7000-8000-000000000102'])[1 + g.n % 3]::uuid AS owner_id
    FROM generate_series(1, 200) AS g(n)
    JOIN (SELECT sp.contact_id, sp.client_id, c.first_name, cl.name AS client_name,
                 row_number() OVER (ORDER BY sp.contact_id) AS rn
          FROM sales_profiles sp
          JOIN contacts c ON c.id = sp.contact_id
          JOIN clients cl ON cl.id = sp.client_id
          WHERE sp.org_id = '00000000-0000-7000-8000-000000000001' AND sp.is_primary AND c.deleted_at IS NULL) b
      ON b.rn = ((g.n * 13) % 197) + 1
    JOIN seed_deal dl ON dl.n = ((g.n * 7) % 60) + 1
) x;

-- ---------------------------------------------------------------------------
-- Communication templates (8) and messages (200) with delivery events
-- ---------------------------------------------------------------------------

INSERT INTO communication_templates (id, org_id, channel, category, name, subject, body, variables, active, created_at, updated_at, created_by) VALUES
    (pg_temp.sid('8113', 1), '00000000-0000-7000-8000-000000000001', 'email', 'recruiting', 'Job opportunity intro',
     'A {{job_title}} role you might like',
     E'Hi {{first_name}},\n\nI came across your profile and think you would be a great fit for a {{job_title}} role with one of our clients. Would you be open to a short call this week?\n\nBest regards,\n{{sender_name}}',
     ARRAY['first_name', 'job_title', 'sender_name'], true, now() - interval '700 days', now() - interval '100 days', '00000000-0000-7000-8000-000000000103'),
    (pg_temp.sid('8113', 2), '00000000-0000-7000-8000-000000000001', 'email', 'recruiting', 'Interview invitation',
     'Interview for {{job_title}}',
     E'Hi {{first_name}},\n\nGreat news: the team would like to meet you for the {{job_title}} position. Please pick a slot that suits you: {{booking_link}}\n\nBest regards,\n{{sender_name}}',
     ARRAY['first_name', 'job_title', 'booking_link', 'sender_name'], true, now() - interval '700 days', now() - interval '100 days', '00000000-0000-7000-8000-000000000103'),
    (pg_temp.sid('8113', 3), '00000000-0000-7000-8000-000000000001', 'email', 'recruiting', 'Offer follow-up',
     'Your offer for {{job_title}}',
     E'Hi {{first_name}},\n\nJust checking in on the offer for the {{job_title}} role. Happy to answer any questions.\n\nBest regards,\n{{sender_name}}',
     ARRAY['first_name', 'job_title', 'sender_name'], true, now() - interval '650 days', now() - interval '90 days', '00000000-0000-7000-8000-000000000104'),
    (pg_temp.sid('8113', 4), '00000000-0000-7000-8000-000000000001', 'whatsapp', 'recruiting', 'Availability check',
     NULL,
     'Hi {{first_name}}, this is {{sender_name}} from Northwind. Are you still open to new {{job_title}} opportunities?',
     ARRAY['first_name', 'sender_name', 'job_title'], true, now() - interval '600 days', now() - interval '60 days', '00000000-0000-7000-8000-000000000103'),
    (pg_temp.sid('8113', 5), '00000000-0000-7000-8000-000000000001', 'whatsapp', 'recruiting', 'Interview reminder',
     NULL,
     'Hi {{first_name}}, a reminder of your interview tomorrow at {{interview_time}}. Good luck!',
     ARRAY['first_name', 'interview_time'], true, now() - interval '600 days', now() - interval '60 days', '00000000-0000-7000-8000-000000000104'),
    (pg_temp.sid('8113', 6), '00000000-0000-7000-8000-000000000001', 'email', 'sales', 'Introduction to Northwind',
     'Hiring support for {{company_name}}',
     E'Hi {{first_name}},\n\nNorthwind helps teams like {{company_name}} hire engineers and leaders faster. Could we find 20 minutes to talk about your hiring plans?\n\nKind regards,\n{{sender_name}}',
     ARRAY['first_name', 'company_name', 'sender_name'], true, now() - interval '700 days', now() - interval '120 days', '00000000-0000-7000-8000-000000000105'),
    (pg_temp.sid('8113', 7), '00000000-0000-7000-8000-000000000001', 'email', 'sales', 'Proposal follow-up',
     'Following up on our proposal',
     E'Hi {{first_name}},\n\nI wanted to follow up on the proposal we sent to {{company_name}}. Is there anything we should adjust?\n\nKind regards,\n{{sender_name}}',
     ARRAY['first_name', 'company_name', 'sender_name'], true, now() - interval '650 days', now() - interval '120 days', '00000000-0000-7000-8000-000000000106'),
    (pg_temp.sid('8113', 8), '00000000-0000-7000-8000-000000000001', 'whatsapp', 'sales', 'Meeting confirmation',
     NULL,
     'Hi {{first_name}}, confirming our meeting on {{meeting_date}}. Looking forward to it. {{sender_name}}',
     ARRAY['first_name', 'meeting_date', 'sender_name'], true, now() - interval '500 days', now() - interval '30 days', '00000000-0000-7000-8000-000000000105');

INSERT INTO communications (org_id, channel, direction, contact_id, template_id, subject, body, to_address, from_address, status,
                            scheduled_at, queued_at, sent_at, delivered_at, read_at, failed_at, external_id, error,
                            job_id, deal_id, sent_by, thread_key, created_at, updated_at, created_by)
SELECT '00000000-0000-7000-8000-000000000001'::uuid, m.channel, m.direction, m.contact_id, m.template_id,
       CASE WHEN m.channel = 'email' THEN
            CASE WHEN m.direction = 'inbound' THEN 'Re: ' ELSE '' END
            || replace(replace(coalesce(t.subject, 'Quick question'), '{{job_title}}', m.job_title), '{{company_name}}', m.client_name) END,
       CASE WHEN m.direction = 'inbound' THEN 'Thanks for reaching out, ' || m.sender_first || '. Happy to talk - when suits you?'
            ELSE replace(replace(replace(replace(replace(replace(coalesce(t.body, 'Hi {{first_name}}, great to connect.'),
                 '{{first_name}}', m.first_name), '{{job_title}}', m.job_title), '{{company_name}}', m.client_name),
                 '{{sender_name}}', m.sender_name), '{{booking_link}}', 'https://cal.northwind.example/book'),
                 '{{interview_time}}', '10:00') END,
       CASE WHEN m.direction = 'inbound' THEN m.our_address ELSE m.their_address END,
       CASE WHEN m.direction = 'inbound' THEN m.their_address ELSE m.our_address END,
       m.status,
       CASE WHEN m.status = 'scheduled' THEN now() + ((30 + m.n % 10) * interval '1 day') END,
       CASE WHEN m.status NOT IN ('draft', 'scheduled', 'received') THEN m.created_at + interval '1 minute' END,
       CASE WHEN m.status IN ('sent', 'delivered', 'read') THEN m.created_at + interval '2 minutes' END,
       CASE WHEN m.status IN ('delivered', 'read') THEN m.created_at + interval '3 minutes' END,
       CASE WHEN m.status = 'read' THEN m.created_at + interval '2 hours' END,
       CASE WHEN m.status IN ('failed', 'bounced') THEN m.created_at + interval '2 minutes' END,
       CASE WHEN m.status IN ('draft', 'scheduled') THEN NULL
            WHEN m.channel = 'email' THEN '<seed-' || m.n || '@mail.northwind.example>'
            WHEN m.channel = 'whatsapp' THEN 'wamid.SEED' || lpad(m.n::text, 8, '0')
            ELSE 'li-seed-' || m.n END,
       CASE m.status WHEN 'failed' THEN 'provider timeout after 3 attempts' WHEN 'bounced' THEN '550 5.1.1 mailbox unavailable' END,
       m.job_id, m.deal_id,
       CASE WHEN m.direction = 'outbound' THEN m.user_id END,
       'contact-' || m.contact_i || '-' || m.channel,
       m.created_at,
       m.created_at + CASE WHEN m.status = 'read' THEN interval '2 hours' ELSE interval '3 minutes' END,
       CASE WHEN m.direction = 'outbound' THEN m.user_id END
FROM (
    SELECT g.n, c.i AS contact_i, c.id AS contact_id, c.first_name, c.kind,
           ch.channel,
           CASE WHEN g.n % 5 = 0 THEN 'inbound' ELSE 'outbound' END AS direction,
           CASE WHEN g.n % 5 = 0 THEN 'received'
                WHEN g.n % 12 IN (1, 2, 3, 5) THEN 'delivered'
                WHEN g.n % 12 IN (4, 6, 10) THEN 'read'
                WHEN g.n % 12 = 7 THEN 'sent'
                WHEN g.n % 12 = 8 THEN 'failed'
                WHEN g.n % 12 = 9 THEN CASE WHEN ch.channel = 'email' THEN 'bounced' ELSE 'failed' END
                WHEN g.n % 12 = 11 THEN 'scheduled'
                ELSE 'draft' END AS status,
           CASE WHEN g.n % 5 = 0 OR ch.channel = 'linkedin' THEN NULL
                WHEN c.kind = 0 OR (c.kind = 2 AND g.n % 2 = 0) THEN
                     CASE WHEN ch.channel = 'email' THEN pg_temp.sid('8113', 1 + g.n % 3) ELSE pg_temp.sid('8113', 4) END
                ELSE CASE WHEN ch.channel = 'email' THEN pg_temp.sid('8113', 6 + g.n % 2) ELSE pg_temp.sid('8113', 8) END
           END AS template_id,
           CASE WHEN c.kind = 0 OR (c.kind = 2 AND g.n % 2 = 0) THEN j.id END AS job_id,
           CASE WHEN c.kind = 1 OR (c.kind = 2 AND g.n % 2 = 1) THEN (SELECT d.id FROM seed_deal d WHERE d.contact_id = c.id ORDER BY d.n LIMIT 1) END AS deal_id,
           j.title AS job_title,
           co.name AS client_name,
           u.id AS user_id, u.name AS sender_name, split_part(u.name, ' ', 1) AS sender_first,
           CASE ch.channel WHEN 'email' THEN u.email WHEN 'whatsapp' THEN '+442079460999' ELSE 'https://www.linkedin.com/in/' || replace(lower(u.name), ' ', '-') END AS our_address,
           CASE ch.channel WHEN 'email' THEN ct.email WHEN 'whatsapp' THEN ct.phone ELSE ct.linkedin_url END AS their_address,
           CASE WHEN g.n % 12 = 11 AND g.n % 5 <> 0 THEN now() - interval '1 day'
                ELSE now() - ((1 + (g.n * 5) % 120) * interval '1 day') - ((g.n % 24) * interval '1 hour') END AS created_at
    FROM generate_series(1, 200) AS g(n)
    JOIN (SELECT sc.*, row_number() OVER (ORDER BY sc.i) AS rn FROM seed_contact sc WHERE NOT sc.deleted) c
      ON c.rn = ((g.n * 13) % 120) + 1
    JOIN contacts ct ON ct.id = c.id
    JOIN seed_company co ON co.n = c.company_n
    JOIN jobs j ON j.id = pg_temp.sid('8106', (g.n % 25) + 1)
    JOIN users u ON u.id = CASE WHEN c.kind = 0 OR (c.kind = 2 AND g.n % 2 = 0)
                                THEN (CASE WHEN g.n % 2 = 0 THEN '00000000-0000-7000-8000-000000000103' ELSE '00000000-0000-7000-8000-000000000104' END)::uuid
                                ELSE (CASE WHEN g.n % 3 = 0 THEN '00000000-0000-7000-8000-000000000105' ELSE '00000000-0000-7000-8000-000000000106' END)::uuid END
    CROSS JOIN LATERAL (SELECT CASE WHEN g.n % 17 = 0 THEN 'linkedin'
                                    WHEN g.n % 4 = 2 AND ct.phone IS NOT NULL THEN 'whatsapp'
                                    ELSE 'email' END AS channel) ch
) m
LEFT JOIN communication_templates t ON t.id = m.template_id;

INSERT INTO communication_events (org_id, communication_id, status, occurred_at, payload, created_at)
SELECT c.org_id, c.id, e.status, e.at, jsonb_build_object('provider', c.channel, 'external_id', c.external_id), e.at
FROM communications c
CROSS JOIN LATERAL (VALUES
    ('queued', c.queued_at), ('sent', c.sent_at), ('delivered', c.delivered_at), ('read', c.read_at),
    (c.status, CASE WHEN c.status IN ('failed', 'bounced', 'received') THEN coalesce(c.failed_at, c.created_at) END)
) AS e(status, at)
WHERE c.org_id = '00000000-0000-7000-8000-000000000001' AND e.at IS NOT NULL;

-- ---------------------------------------------------------------------------
-- Attachments, audit trails
-- ---------------------------------------------------------------------------

INSERT INTO attachments (org_id, entity_type, entity_id, storage_key, file_name, content_type, size_bytes, checksum_sha256,
                         uploaded_by, created_at, updated_at, created_by)
SELECT '00000000-0000-7000-8000-000000000001'::uuid, 'candidate_profile', cp.id,
       'orgs/00000000-0000-7000-8000-000000000001/candidate_profiles/' || cp.id || '/cv.pdf',
       c.local_part || '-cv.pdf', 'application/pdf', 80000 + c.i * 311,
       encode(sha256(convert_to('cv:' || cp.id, 'UTF8')), 'hex'),
       cp.created_by, cp.created_at, cp.created_at, cp.created_by
FROM seed_contact c
JOIN candidate_profiles cp ON cp.id = pg_temp.sid('8105', c.i)
WHERE c.i <= 60
UNION ALL
SELECT '00000000-0000-7000-8000-000000000001'::uuid, 'deal', d.id,
       'orgs/00000000-0000-7000-8000-000000000001/deals/' || d.id || '/proposal.pdf',
       'proposal-' || d.n || '.pdf', 'application/pdf', 250000 + d.n * 977,
       encode(sha256(convert_to('proposal:' || d.id, 'UTF8')), 'hex'),
       d.owner_id, d.created_at + interval '14 days', d.created_at + interval '14 days', d.owner_id
FROM seed_deal d
WHERE cardinality(d.path) >= 3;

INSERT INTO audit_log (org_id, actor_id, action, entity_type, entity_id, changes, ip, user_agent, request_id, created_at)
SELECT '00000000-0000-7000-8000-000000000001'::uuid, u.id, 'auth.login', 'user', u.id, NULL,
       ('203.0.113.' || (10 + g.k))::inet,
       'Mozilla/5.0 (X11, Linux x86_64) Firefox/128.0',
       'seed-login-' || g.k || '-' || right(u.id::text, 3),
       now() - ((g.k * 2) * interval '1 day') - interval '8 hours'
FROM users u CROSS JOIN generate_series(1, 5) AS g(k)
WHERE u.org_id = '00000000-0000-7000-8000-000000000001'
UNION ALL
SELECT '00000000-0000-7000-8000-000000000001'::uuid, c.created_by, 'client.created', 'client', c.id,
       jsonb_build_object('name', jsonb_build_object('from', NULL, 'to', c.name),
                          'status', jsonb_build_object('from', NULL, 'to', c.status)),
       '203.0.113.50'::inet, 'Mozilla/5.0 (Macintosh) Safari/17.0', 'seed-client-' || right(c.id::text, 3), c.created_at
FROM clients c WHERE c.org_id = '00000000-0000-7000-8000-000000000001'
UNION ALL
SELECT '00000000-0000-7000-8000-000000000001'::uuid, d.owner_id, 'deal.updated', 'deal', d.id,
       jsonb_build_object('status', jsonb_build_object('from', 'open', 'to', d.status)),
       '203.0.113.60'::inet, 'Mozilla/5.0 (Windows NT 10.0) Chrome/126.0', 'seed-deal-' || right(d.id::text, 3), d.closed_at
FROM deals d WHERE d.org_id = '00000000-0000-7000-8000-000000000001' AND d.closed_at IS NOT NULL;

INSERT INTO contact_profile_audit_log (org_id, contact_id, profile_type, profile_id, field, old_value, new_value, changed_by, changed_at, request_id)
SELECT '00000000-0000-7000-8000-000000000001'::uuid, sp.contact_id, 'sales', sp.id, 'lead_status',
       to_jsonb('new'::text), to_jsonb(sp.lead_status), sp.created_by, sp.created_at + interval '10 days', 'seed-cpa-s-' || right(sp.id::text, 3)
FROM sales_profiles sp
WHERE sp.org_id = '00000000-0000-7000-8000-000000000001' AND sp.is_primary AND sp.lead_status <> 'new'
  AND sp.id <= pg_temp.sid('8104', 60)
UNION ALL
SELECT '00000000-0000-7000-8000-000000000001'::uuid, cp.contact_id, 'candidate', cp.id, 'desired_salary_min',
       to_jsonb(cp.desired_salary_min - 5000), to_jsonb(cp.desired_salary_min), cp.created_by, cp.created_at + interval '5 days', 'seed-cpa-c-' || right(cp.id::text, 3)
FROM candidate_profiles cp
WHERE cp.org_id = '00000000-0000-7000-8000-000000000001' AND cp.is_primary AND cp.id <= pg_temp.sid('8105', 30)
UNION ALL
SELECT '00000000-0000-7000-8000-000000000001'::uuid, c.id, 'contact', NULL, 'phone',
       'null'::jsonb, to_jsonb(c.phone), c.created_by, c.created_at + interval '3 days', 'seed-cpa-p-' || right(c.id::text, 3)
FROM contacts c
WHERE c.org_id = '00000000-0000-7000-8000-000000000001' AND c.phone IS NOT NULL AND c.id <= pg_temp.sid('8102', 20);

-- last_activity_at is maintained by the application: derive it once from the seeded history.
-- (A "quiet" column: this UPDATE leaves version and updated_at alone.)
UPDATE contacts c
SET last_activity_at = GREATEST(
        (SELECT max(m.created_at) FROM communications m WHERE m.org_id = c.org_id AND m.contact_id = c.id),
        (SELECT max(GREATEST(a.created_at, a.completed_at)) FROM sales_activities a WHERE a.org_id = c.org_id AND a.contact_id = c.id))
WHERE c.org_id = '00000000-0000-7000-8000-000000000001';

DROP TABLE pg_temp.seed_first_name, pg_temp.seed_last_name, pg_temp.seed_city, pg_temp.seed_company,
    pg_temp.seed_role, pg_temp.seed_contact, pg_temp.seed_app, pg_temp.seed_deal;
DROP FUNCTION pg_temp.sid(text, integer);
