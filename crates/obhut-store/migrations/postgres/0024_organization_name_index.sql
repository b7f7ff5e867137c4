-- A search by company name reads the names alone (a covering index), not the organizations' rows.
CREATE INDEX organizations_name_id ON organizations(name_folded, id);
