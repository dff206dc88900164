-- The reminder outbox. A row exists before anything is sent: planning the same reminder twice hits the
-- unique key and adds nothing, so it can never yield two emails. Workers claim due rows with
-- FOR UPDATE SKIP LOCKED and a lease (see MenoTime.Data/Notifications/NotificationOutbox.cs).
--
-- Only what sending needs is kept: the address, the patient's id (no foreign key yet: the patients table
-- comes with the clinical API), the instant and the IANA zone to show it in, the kind of reminder.
-- Nothing else about the patient or the appointment.
CREATE TABLE notifications (
    id                uuid        PRIMARY KEY,
    rule              text        NOT NULL,                 -- e.g. appointment-24h, medication-dose
    target            text        NOT NULL,                 -- what it reminds of, e.g. appointment:<uuid>
    occurs_at         timestamptz NOT NULL,                 -- the occurrence instant reminded of
    channel           text        NOT NULL DEFAULT 'email',
    kind              text        NOT NULL CHECK (kind IN ('appointment', 'medication')),
    patient_id        uuid        NOT NULL,
    recipient         text        NOT NULL,
    time_zone         text        NOT NULL,                 -- IANA zone the instant is shown in
    due_at            timestamptz NOT NULL,                 -- when to send
    status            text        NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'dead', 'retired', 'suppressed')),
    status_changed_at timestamptz NOT NULL,
    next_attempt_at   timestamptz NOT NULL,                 -- due_at, then the retry time after a failure
    attempts          integer     NOT NULL DEFAULT 0,       -- claims so far
    lease_owner       text,                                 -- worker instance holding the row while sending
    lease_expires_at  timestamptz,                          -- database clock (now()), never the services' clock
    last_error        text,                                 -- SMTP reply or exception message; no message content
    created_at        timestamptz NOT NULL,
    sent_at           timestamptz,
    CONSTRAINT notifications_key UNIQUE (rule, target, occurs_at, channel)
);

-- What workers claim: due rows that are queued or waiting for a retry, oldest first.
CREATE INDEX notifications_claimable ON notifications (next_attempt_at) WHERE status IN ('queued', 'failed');
-- Rows whose worker may have died mid-send.
CREATE INDEX notifications_leased ON notifications (lease_expires_at) WHERE status = 'sending';
-- Retiring a target's reminders; a patient's notifications with their history.
CREATE INDEX notifications_target ON notifications (target) WHERE status IN ('queued', 'failed');
CREATE INDEX notifications_patient ON notifications (patient_id, created_at);

-- Every status a notification went through, with when, which attempt, which worker and why.
-- Written by a trigger so no code path can change a status without leaving its trace.
CREATE TABLE notification_status_history (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_id uuid        NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    status          text        NOT NULL,
    changed_at      timestamptz NOT NULL,
    attempt         integer     NOT NULL,
    worker          text,
    error           text
);
CREATE INDEX notification_status_history_notification ON notification_status_history (notification_id, id);

CREATE FUNCTION notifications_record_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO notification_status_history (notification_id, status, changed_at, attempt, worker, error)
        VALUES (NEW.id, NEW.status, NEW.status_changed_at, NEW.attempts, NEW.lease_owner,
                CASE WHEN NEW.status IN ('failed', 'dead') THEN NEW.last_error END);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER notifications_status_history
    AFTER INSERT OR UPDATE OF status ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_record_status();

-- Addresses and patients that must not get reminder email: one-click opt-outs, permanent bounces and
-- complaints (from SES through SNS). The worker checks it at claim time; the planner will check it too.
CREATE TABLE email_suppressions (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    address    text        NOT NULL,                       -- lower case
    patient_id uuid,                                       -- set for opt-outs: they follow the patient
    reason     text        NOT NULL CHECK (reason IN ('unsubscribe', 'bounce', 'complaint')),
    source     text        NOT NULL,                       -- notification id or SNS message id
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_suppressions_once UNIQUE (address, reason)
);
CREATE INDEX email_suppressions_patient ON email_suppressions (patient_id) WHERE patient_id IS NOT NULL;
