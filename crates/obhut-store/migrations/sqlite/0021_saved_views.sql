-- Saved views: a user's named filters and sort of a list (contacts, organizations, deals,
-- tickets). The name and the query (which may hold a searched name) are sealed under the
-- master key; a view goes with its user.
CREATE TABLE saved_views (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    list TEXT NOT NULL,
    sealed BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX saved_views_user ON saved_views(user_id, list, created_at);
