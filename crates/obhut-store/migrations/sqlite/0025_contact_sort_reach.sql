-- A page of the name order reads one bucket's contacts and checks what the reader may reach
-- (record class, restriction) from the index alone, before it visits a contact's row.
DROP INDEX contacts_sort_bucket;
CREATE INDEX contacts_sort_bucket ON contacts(sort_bucket, record_class, restricted_at, id);
