-- Why a deal was won or lost: a code from a fixed list (price, competitor, …), no free text,
-- so the reason holds nothing about a person. Cleared when a deal moves back to an open stage.
ALTER TABLE deals ADD COLUMN close_reason TEXT;
