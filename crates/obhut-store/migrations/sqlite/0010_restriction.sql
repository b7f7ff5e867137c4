-- Restriction of processing (Art. 18 GDPR) beyond the flag of 0005: why (sealed under the
-- installation key; a reason may describe the person), until which calendar day where it ends
-- at a date (a retention rule's restriction), who restricted it and under which request case.
ALTER TABLE contacts ADD COLUMN restricted_until TEXT;
ALTER TABLE contacts ADD COLUMN restricted_by TEXT;
ALTER TABLE contacts ADD COLUMN restriction_reason BLOB;
ALTER TABLE contacts ADD COLUMN restriction_case_id TEXT;
CREATE INDEX contacts_restricted ON contacts(restricted_at);
-- A rectification (Art. 16) made through a request case: when, and the names of the fields.
ALTER TABLE dsr_cases ADD COLUMN rectified_at BIGINT;
ALTER TABLE dsr_cases ADD COLUMN rectified_fields TEXT;
