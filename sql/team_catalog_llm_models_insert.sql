-- Adds one catalog_llm_models row arriving from another store, in the column order of
-- src/team/tables.rs.   Callers: team::mirror (sync), team::copy.
insert into catalog_llm_models (
    id, model, provider, display_name, specialization, extra, batch_id, line
)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
