-- 0018_updated_at_when_changed.sql - updated_at is the time of the change, not of its
-- transaction's start.
--
-- A change that waited for another's row lock began before it but happened after it. With
-- now() its updated_at was the earlier of the two, so the `-updated_at` sort and any "changed
-- since" read showed the rows in the wrong order. The audit and history rows already take
-- clock_timestamp() for the same reason; crm_touch_row now does too. Otherwise it is 0016's.

CREATE OR REPLACE FUNCTION crm_touch_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- TG_ARGV names the quiet columns; it is NULL, not empty, on a trigger without arguments.
    IF NEW.version = OLD.version
       AND (to_jsonb(NEW) - coalesce(TG_ARGV, '{}') - 'version' - 'updated_at')
           = (to_jsonb(OLD) - coalesce(TG_ARGV, '{}') - 'version' - 'updated_at') THEN
        NEW.updated_at := OLD.updated_at;
        RETURN NEW;
    END IF;
    NEW.version := OLD.version + 1;
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END
$$;
