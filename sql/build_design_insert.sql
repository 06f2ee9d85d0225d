-- The head of the statement that fills temp.design: the generated product query (compile::emit)
-- follows it, selecting one coalesced role expression per column below, in this order.
-- Caller: cohort::design.
insert into temp.design (
    combo, draft_template, draft_llm, draft_rep,
    essay_template, essay_llm, essay_rep,
    evaluation_template, evaluation_llm, evaluation_rep
)
