-- The SQL the API runs for (a), statement for statement: session check, caller lookup, then in one
-- transaction the access check, the page and the audit row.
\set n random(1, 64)
SELECT subject, last_seen_at, ended_at, end_reason FROM sessions WHERE session_id = 'bench-session-' || :n;
SELECT (SELECT id FROM patients WHERE subject = 'bench-patient-' || :n) AS pid, coalesce((SELECT id FROM providers WHERE subject = 'bench-patient-' || :n)::text, '') AS prov \gset
BEGIN;
SELECT EXISTS (SELECT 1 FROM patients WHERE id = :pid);
SELECT id, booked_by, cancel_reason, cancelled_at, created_at, ends_at, patient_id, provider_id, starts_at, status, time_zone, updated_at, xmin
  FROM appointments WHERE patient_id = :pid AND starts_at >= now() ORDER BY starts_at, id LIMIT 21;
INSERT INTO audit_events (id, chain, seq, occurred_at, subject, role, session_id, action, resource_type, resource_id, patient_id, status, client_ip, user_agent, trace_id, break_glass, prev_hash, hash)
  VALUES (gen_random_uuid(), 0, 0, now(), 'bench-patient-' || :n, 'patient', 'bench-session-' || :n, 'search', 'appointment', NULL, :pid, 200, '127.0.0.1', 'pgbench', 'trace', false, '', '');
COMMIT;
