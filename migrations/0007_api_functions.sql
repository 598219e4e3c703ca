-- 0007_api_functions.sql - helpers the API shares.

-- Default recruitment stages and sales pipeline of a new organisation.
CREATE FUNCTION crm_create_org_defaults(p_org uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_pipeline uuid;
BEGIN
    INSERT INTO application_stages (org_id, name, position, kind, is_default)
    VALUES (p_org, 'Sourced', 0, 'active', true),
           (p_org, 'Screening', 1, 'active', false),
           (p_org, 'Interview', 2, 'active', false),
           (p_org, 'Offer', 3, 'active', false),
           (p_org, 'Hired', 4, 'hired', false),
           (p_org, 'Rejected', 5, 'rejected', false);

    INSERT INTO sales_pipelines (org_id, name, is_default)
    VALUES (p_org, 'Sales', true)
    RETURNING id INTO v_pipeline;

    INSERT INTO pipeline_stages (org_id, pipeline_id, name, position, win_probability, is_won, is_lost)
    VALUES (p_org, v_pipeline, 'Lead', 0, 10, false, false),
           (p_org, v_pipeline, 'Qualified', 1, 25, false, false),
           (p_org, v_pipeline, 'Proposal', 2, 50, false, false),
           (p_org, v_pipeline, 'Negotiation', 3, 75, false, false),
           (p_org, v_pipeline, 'Won', 4, 100, true, false),
           (p_org, v_pipeline, 'Lost', 5, 0, false, true);
END
$$;
