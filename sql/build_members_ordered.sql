-- Every member in membership order, with role-value ids (texts and signatures are derived in
-- Rust).   No parameters.   Caller: cohort::members (members digest, registry entries).
select stage, gen_id, parent, combo, template, llm, rep, collision
from temp.m
order by rowid
