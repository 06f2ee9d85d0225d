-- The newest applied migration (null: none).   No parameters.   Caller: team::schema.
select max(version) as version from refinery_schema_history
