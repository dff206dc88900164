-- The SQL the API runs for (b): session check, caller lookup, then access check, insert and audit row.
\set n random(1, 64)
SELECT s.subject, s.last_seen_at, s.ended_at, s.end_reason,
       (SELECT id FROM patients WHERE subject = 'bench-patient-' || :n) AS pid, (SELECT id FROM providers WHERE subject = 'bench-patient-' || :n) AS prov
  FROM (SELECT 1) AS one LEFT JOIN sessions s ON s.session_id = 'bench-session-' || :n \gset
BEGIN;
INSERT INTO questionnaire_responses (id, answers, instrument, instrument_version, patient_id, scores, submitted_at, submitted_by)
  VALUES (gen_random_uuid(), '{2,1,3,0,1,2,2,1,0,1,3}', 'mrs', '1', :pid,
          '[{"scale":"total","score":16,"max":44,"band":"moderate"},{"scale":"somatoVegetative","score":9,"max":16,"band":"severe"},{"scale":"psychological","score":5,"max":16,"band":"moderate"},{"scale":"urogenital","score":2,"max":12,"band":"moderate"}]',
          now(), 'bench-patient-' || :n);
INSERT INTO audit_events (id, chain, seq, occurred_at, subject, role, session_id, action, resource_type, resource_id, patient_id, status, client_ip, user_agent, trace_id, break_glass, prev_hash, hash)
  VALUES (gen_random_uuid(), 0, 0, now(), 'bench-patient-' || :n, 'patient', 'bench-session-' || :n, 'create', 'questionnaire_response', NULL, :pid, 201, '127.0.0.1', 'pgbench', 'trace', false, '', '');
COMMIT;
