-- 0021_user_email_key.sql - editing a user no longer waits for writes that name them.
--
-- users has a BEFORE UPDATE trigger (crm_touch_row). With one, PostgreSQL locks the row before
-- the trigger runs, at a strength chosen from the columns the UPDATE's SET list names, and the
-- user update names the e-mail (`email = coalesce($3, email)`), a column of the unique key
-- (org_id, email): every user update, a rename or a role change, took the key-changing lock.
-- That lock waits for the KEY SHARE locks which the foreign-key checks of every write naming
-- the user (owner, created_by, the audit's actor) hold until they commit: a role change or a
-- sign-in queued behind a busy user's writes, and deadlocked with writes that named an admin
-- next. The columns of a unique index over an expression are no key for that choice, so the
-- rule becomes one: one account per address, in any case (addresses are stored lower-cased
-- already, a CHECK says so, so no existing pair collides).

SET LOCAL lock_timeout = '5s';
ALTER TABLE users DROP CONSTRAINT users_org_email_key;
CREATE UNIQUE INDEX users_org_email_key ON users (org_id, lower(email));
