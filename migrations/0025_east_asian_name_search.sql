-- 0025_east_asian_name_search.sql - "王芳" finds 王 芳, "山田" finds 山田 太郎.
--
-- In Chinese, Japanese and Korean one or two characters are a whole name: a surname (王, 山田),
-- a given name (芳) or a full name written without a space (王芳). Such a q is too short for a
-- trigram and was refused. It is now searched as a whole name: the given name, the surname,
-- or both together in either order, folded as every search is (crm_fold). crm_name_keys lists
-- those keys for a contact and a GIN index holds them, so such a search is an index lookup.
-- Building the index blocks writes to contacts (not reads) while it runs.

CREATE FUNCTION crm_name_keys(first_name text, last_name text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_remove(ARRAY[crm_fold(first_name), crm_fold(last_name),
                              crm_fold(last_name || first_name), crm_fold(first_name || last_name)],
                        NULL)
$$;

CREATE INDEX contacts_name_keys_gin ON contacts USING gin (crm_name_keys(first_name, last_name));
