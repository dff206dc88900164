-- Break-glass alerts (issue 4): when a provider opens a patient under emergency access, the API writes one
-- notification per security-alert address in the same transaction as the grant, so the grant cannot exist
-- without its alert. The worker delivers them like reminders (lease, retries, status history, dead letter).
-- patient_id is the patient opened; the recipient is an administrator, so the patient's own opt-out never
-- suppresses it (NotificationDispatch.ClaimAsync), and the patient's list of notifications does not show it.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('appointment', 'medication', 'emergency-access'));
