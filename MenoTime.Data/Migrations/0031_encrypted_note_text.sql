-- HIPAA 164.312(a)(2)(iv) encryption: the texts written most freely — clinical notes (every version) and
-- symptom notes — are stored only as envelope-encrypted blobs (MenoTime.Aws.FieldEncryption: AES-256-GCM,
-- data keys from KMS, key id and version inside the blob). The plaintext columns stay only for rows
-- written before this migration: the API encrypts those at start-up and empties them (a later migration
-- drops the columns once every environment has run it).
ALTER TABLE clinical_notes ADD COLUMN content_encrypted bytea;
ALTER TABLE clinical_notes ALTER COLUMN content DROP NOT NULL;
ALTER TABLE clinical_notes ADD CONSTRAINT clinical_notes_content_kept CHECK (content IS NOT NULL OR content_encrypted IS NOT NULL);

ALTER TABLE clinical_note_versions ADD COLUMN content_encrypted bytea;
ALTER TABLE clinical_note_versions ALTER COLUMN content DROP NOT NULL;
ALTER TABLE clinical_note_versions ADD CONSTRAINT clinical_note_versions_content_kept CHECK (content IS NOT NULL OR content_encrypted IS NOT NULL);

ALTER TABLE symptom_entries ADD COLUMN note_encrypted bytea;
