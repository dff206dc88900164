-- The SQL the API runs for (c): session check, caller lookup, then the day's page and the audit row.
\set n random(1, 64)
SELECT s.subject, s.last_seen_at, s.ended_at, s.end_reason,
       (SELECT id FROM patients WHERE subject = 'bench-provider-' || :n) AS pat, (SELECT id FROM providers WHERE subject = 'bench-provider-' || :n) AS prov
  FROM (SELECT 1) AS one LEFT JOIN sessions s ON s.session_id = 'bench-session-' || :n \gset
BEGIN;
SELECT id, booked_by, cancel_reason, cancelled_at, created_at, ends_at, patient_id, provider_id, starts_at, status, time_zone, updated_at, xmin
  FROM appointments WHERE provider_id = :prov AND starts_at >= date_trunc('day', now()) AND starts_at < date_trunc('day', now()) + interval '1 day'
  ORDER BY starts_at, id LIMIT 21;
INSERT INTO audit_events (id, chain, seq, occurred_at, subject, role, session_id, action, resource_type, resource_id, patient_id, status, client_ip, user_agent, trace_id, break_glass, prev_hash, hash)
  VALUES (gen_random_uuid(), 0, 0, now(), 'bench-provider-' || :n, 'provider', 'bench-session-' || :n, 'search', 'appointment', NULL, NULL, 200, '127.0.0.1', 'pgbench', 'trace', false, '', '');
COMMIT;
