-- What each run keeps, in bytes (store.Grown counts it), and of that its
-- request's: a run is bounded by it (store.MaxRunBytes), and the store by
-- their sum (Prune). Runs kept before are counted by their columns' lengths.
ALTER TABLE runs ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN request_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE runs SET request_bytes = length(method) + length(url) + length(request_headers) + length(request_body);
UPDATE runs SET bytes = request_bytes + length(request_cookies) + coalesce(length(response_headers), 0) + length(response_body)
	+ coalesce((SELECT sum(128 + length(detail)) FROM events WHERE run_id = runs.id), 0);
