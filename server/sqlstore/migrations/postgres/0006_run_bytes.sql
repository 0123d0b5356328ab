-- What each run keeps, in bytes (store.Grown counts it), and of that its
-- request's: a run is bounded by it (store.MaxRunBytes), and the store by
-- their sum (Prune). Runs kept before are counted by their columns' lengths.
ALTER TABLE runs ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN request_bytes BIGINT NOT NULL DEFAULT 0;
UPDATE runs SET request_bytes = octet_length(method) + octet_length(url) + octet_length(request_headers::text) + octet_length(request_body);
UPDATE runs SET bytes = request_bytes + octet_length(request_cookies::text) + coalesce(octet_length(response_headers::text), 0) + octet_length(response_body)
	+ coalesce((SELECT sum(128 + octet_length(detail::text)) FROM events WHERE run_id = runs.id), 0);
