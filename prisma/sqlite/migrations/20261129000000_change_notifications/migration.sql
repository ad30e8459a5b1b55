-- PostgreSQL only (change notifications for caches across instances). On SQLite, a single host, the
-- cache's short TTL bounds how long a change takes to reach other processes: nothing to create here.
SELECT 1;
