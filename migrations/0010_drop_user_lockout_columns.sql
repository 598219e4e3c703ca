-- 0010_drop_user_lockout_columns.sql - sign-in lockout lives in Redis, not on the user row.
--
-- users.failed_login_count and users.locked_until were never written: failures are counted per
-- account in Redis, shared by every node and expiring by themselves (docs/security.md). Columns
-- that always read 0 and NULL would mislead anyone reporting on them.
ALTER TABLE users
    DROP COLUMN failed_login_count,
    DROP COLUMN locked_until;
