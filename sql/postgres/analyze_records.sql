-- The planner's statistics of the record tables, refreshed after a build that wrote many rows (a
-- table loaded by COPY has none until autovacuum reaches it, and the `membership` view is then
-- joined row by row). Run after the commit, outside the write lock; a role that does not own the
-- tables only gets a warning. `skip_locked`: a table another publish's ANALYZE is refreshing is
-- left to it rather than queued behind it (ANALYZE locks out ANALYZE: eight builds finishing
-- together would refresh one after another).   No parameters.   Callers: team::publish (builds).
analyze (skip_locked) cohort_spec_files, cohort_template_modes, cohort_values, cohort_members,
    gen_ids, cohort_reuse, cohort_records
