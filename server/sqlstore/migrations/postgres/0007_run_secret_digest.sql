-- A run's secret is no longer kept, only its digest (store.SecretDigest), set
-- as each run is opened. The secrets kept of runs no longer open are dropped;
-- a run still open on a server of the lab before this one keeps its own
-- until it ends (it is checked against the digest, and so recorded no more).
UPDATE runs SET secret = '' WHERE state <> 'open' OR interrupted_at IS NOT NULL;
