-- Whether the database holds cohortdb's schema history, and how many tables its current schema
-- has (a database with tables and no history is not a cohortdb store).   No parameters.
-- Caller: team::schema.
select to_regclass('refinery_schema_history') is not null as has_history,
       (select count(*) from pg_catalog.pg_tables where schemaname = current_schema()) as tables
