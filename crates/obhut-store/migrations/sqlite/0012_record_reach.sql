-- Object-level authorization for every record kind. A deal, ticket or activity about a contact
-- is decided by that contact's class, team, tags and restriction; a deal or ticket without a
-- contact, and an organization, by its own class and team (and its own owner).
ALTER TABLE deals ADD COLUMN record_class TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE deals ADD COLUMN team TEXT;
ALTER TABLE tickets ADD COLUMN record_class TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE tickets ADD COLUMN team TEXT;
ALTER TABLE organizations ADD COLUMN record_class TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE organizations ADD COLUMN team TEXT;
-- Lists filter by owner and team in SQL.
CREATE INDEX deals_owner ON deals(owner_id);
CREATE INDEX deals_updated ON deals(updated_at);
CREATE INDEX tickets_owner ON tickets(owner_id);
CREATE INDEX tickets_updated ON tickets(updated_at);
CREATE INDEX organizations_owner ON organizations(owner_id);
CREATE INDEX contacts_team ON contacts(team);
