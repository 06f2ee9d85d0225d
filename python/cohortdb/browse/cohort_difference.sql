-- What two cohorts (:a and :b) differ by: per stage, the members (by gen_id) in both, only in
-- :a and only in :b, and whether the two records' content and spec hashes are equal. One pass
-- over both cohorts' members.
with pair as (
    select (select cohort_no from cohort_records where cohort_id = :a) as a,
           (select cohort_no from cohort_records where cohort_id = :b) as b
),
members as (
    select m.stage, m.gen_id, max(m.cohort_no = pair.a) as in_a, max(m.cohort_no = pair.b) as in_b
    from cohort_members as m, pair
    where m.cohort_no in (pair.a, pair.b)
    group by m.stage, m.gen_id
)
select case stage when 0 then 'draft' when 1 then 'essay' else 'evaluation' end as stage,
       sum(in_a and in_b) as in_both,
       sum(in_a and not in_b) as only_in_a,
       sum(in_b and not in_a) as only_in_b,
       (select ra.content_hash = rb.content_hash from cohort_records as ra, cohort_records as rb
        where ra.cohort_id = :a and rb.cohort_id = :b) as same_content_hash,
       (select ra.spec_hash = rb.spec_hash from cohort_records as ra, cohort_records as rb
        where ra.cohort_id = :a and rb.cohort_id = :b) as same_spec_hash
from members
group by stage
order by stage
