-- 0021_user_email_key.sql - editing a user no longer waits for writes that name them.
--
-- crm_touch_row, a PL/pgSQL BEFORE UPDATE trigger, hands PostgreSQL a rebuilt row whose text
-- values no longer compare byte for byte with the stored ones. PostgreSQL then counts every
-- update of a user as changing the e-mail, a column of the unique key (org_id, email), and
-- takes the row's strongest lock. That lock waits for the KEY SHARE locks which the foreign-key
-- checks of every write naming the user (owner, created_by, the audit's actor) hold until they
-- commit: a role change or a sign-in queued behind a busy user's writes, and deadlocked with
-- writes that named an admin next. The columns of a unique index over an expression are not
-- a key for that purpose, so the rule becomes one: one account per address, in any case (the
-- API stores addresses lower-cased already, so no existing pair collides).

SET LOCAL lock_timeout = '5s';
ALTER TABLE users DROP CONSTRAINT users_org_email_key;
CREATE UNIQUE INDEX users_org_email_key ON users (org_id, lower(email));
