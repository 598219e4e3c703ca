-- 0012_summary_skips_deleted_jobs.sql - a deleted job takes its applications out of the summary.
--
-- A soft-deleted job disappears from every list until it is restored, and with it its pipeline:
-- the contact summary counted its applications, and took their last change as the contact's last
-- activity, for a job no one can see. The view is the one of 0006 but for the jobs join.

CREATE OR REPLACE VIEW contact_profile_summary WITH (security_invoker = true) AS
SELECT
    c.id                                     AS contact_id,
    c.org_id                                 AS org_id,
    sp.n > 0                                 AS has_sales_profile,
    cp.n > 0                                 AS has_candidate_profile,
    (sp.n > 0 AND cp.n > 0)                  AS is_dual,
    sp.n                                     AS sales_profile_count,
    cp.n                                     AS candidate_profile_count,
    sp.primary_id                            AS primary_sales_profile_id,
    cp.primary_id                            AS primary_candidate_profile_id,
    ap.n                                     AS application_count,
    dl.n                                     AS deal_count,
    cm.n                                     AS message_count,
    GREATEST(c.last_activity_at, cm.last_at, sa.last_at, ap.last_at) AS last_activity_at
FROM contacts c
LEFT JOIN LATERAL (
    SELECT count(*)::integer AS n,
           (array_agg(s.id) FILTER (WHERE s.is_primary))[1] AS primary_id
    FROM sales_profiles s
    WHERE s.org_id = c.org_id AND s.contact_id = c.id AND s.deleted_at IS NULL
) sp ON true
LEFT JOIN LATERAL (
    SELECT count(*)::integer AS n,
           (array_agg(p.id) FILTER (WHERE p.is_primary))[1] AS primary_id
    FROM candidate_profiles p
    WHERE p.org_id = c.org_id AND p.contact_id = c.id AND p.deleted_at IS NULL
) cp ON true
LEFT JOIN LATERAL (
    SELECT count(*)::integer AS n, max(a.updated_at) AS last_at
    FROM candidate_profiles p
    JOIN job_applications a ON a.org_id = p.org_id AND a.candidate_profile_id = p.id
    JOIN jobs j ON j.org_id = a.org_id AND j.id = a.job_id AND j.deleted_at IS NULL
    WHERE p.org_id = c.org_id AND p.contact_id = c.id AND p.deleted_at IS NULL
) ap ON true
LEFT JOIN LATERAL (
    SELECT count(*)::integer AS n
    FROM deals d
    WHERE d.org_id = c.org_id AND d.contact_id = c.id AND d.deleted_at IS NULL
) dl ON true
LEFT JOIN LATERAL (
    SELECT count(*)::integer AS n, max(m.created_at) AS last_at
    FROM communications m
    WHERE m.org_id = c.org_id AND m.contact_id = c.id
) cm ON true
LEFT JOIN LATERAL (
    SELECT max(GREATEST(x.created_at, x.completed_at)) AS last_at
    FROM sales_activities x
    WHERE x.org_id = c.org_id AND x.contact_id = c.id AND x.deleted_at IS NULL
) sa ON true
WHERE c.deleted_at IS NULL;
