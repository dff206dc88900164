-- Every API start looks for plaintext left from before encryption (EncryptedColumns.EncryptLegacyPlaintextAsync).
-- Without these, that is a full scan of each table on each start (a million symptom entries in bench/api);
-- with them, a look into an index that is empty once the plaintext is gone, and that new rows never enter.
CREATE INDEX clinical_notes_plaintext ON clinical_notes (id) WHERE content IS NOT NULL;
CREATE INDEX clinical_note_versions_plaintext ON clinical_note_versions (note_id, version) WHERE content IS NOT NULL;
CREATE INDEX symptom_entries_plaintext ON symptom_entries (id) WHERE note IS NOT NULL;
