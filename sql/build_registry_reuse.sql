-- How many members reuse gen_ids of each earlier cohort (temp.hits, cohort_reuse's rows).
-- No parameters.   Caller: cohort::checks::check_registry_agreement.
select cohort_no as earlier_no, count(*) as shared
from temp.hits
group by cohort_no
order by cohort_no
