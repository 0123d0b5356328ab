-- A run's secret is no longer kept, only its digest (store.SecretDigest), set
-- as each run is opened. The secrets kept before are dropped: on SQLite the
-- one server is this one, starting, and every run open when it stopped ends
-- as interrupted now (a request naming one is served, not recorded).
UPDATE runs SET secret = '';
