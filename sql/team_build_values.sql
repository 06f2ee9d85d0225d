-- A build's member values from its scratch table, as cohort_values rows numbered for the team
-- store (src/team/tables.rs column order).   ?1 cohort_no.   Caller: team::publish.
select ?1 as cohort_no, role, vid, text
from temp.role_text
order by role, vid
