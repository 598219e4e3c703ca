-- 0013_quiet_user_columns.sql - signing in no longer makes an admin's copy of the user stale.
--
-- users_touch bumped version and updated_at on every UPDATE, and every sign-in writes
-- last_login_at (a failed one failed_login_count, a lock-out locked_until, a password change
-- the hash): an admin editing the user with If-Match got 412 because the user had signed in.
-- These columns are not part of the user's representation as edited through the API, so they
-- are "quiet" (crm_touch_row, migration 0001): an UPDATE that changes only them keeps version
-- and updated_at, and an UPDATE that changes nothing at all keeps them too.

DROP TRIGGER users_touch ON users;
CREATE TRIGGER users_touch BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION crm_touch_row('last_login_at', 'failed_login_count', 'locked_until',
                                                'password_hash', 'password_changed_at');
