-- 0009_contact_phones_index.sql - secondary phones take part in duplicate detection.
--
-- A new contact's phone was compared with existing contacts' `phone` only: the same number
-- kept in another contact's `phones` list went unnoticed, because nothing indexed that jsonb
-- column and a scan of the organisation's contacts per create is not acceptable. This index
-- answers `phones @> '[{"phone": "+..."}]'` the way contacts_emails_gin answers e-mails.
CREATE INDEX contacts_phones_gin ON contacts USING gin (phones jsonb_path_ops);
