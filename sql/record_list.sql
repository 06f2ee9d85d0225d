-- Every cohort record, by id.   No parameters.   Caller: record::list.
select cohort_id, content_hash, drafts, essays, evaluations, created_at
from cohort_records
order by cohort_id
