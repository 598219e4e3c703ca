-- 0006_views.sql - read models.

-- One row per not-deleted contact: which profiles it has and how active it is.
-- Every aggregate is a LATERAL subquery keyed by (org_id, contact_id), so
-- "WHERE org_id = $1 AND contact_id = $2" is answered from indexes, without scanning
-- other contacts. Only non-deleted profiles, deals and activities count; applications
-- count when their candidate profile is not deleted.
CREATE VIEW contact_profile_summary WITH (security_invoker = true) AS
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

COMMENT ON VIEW contact_profile_summary IS
    'One row per not-deleted contact: profile flags/counts, primary profile ids, activity counts, last activity.';
