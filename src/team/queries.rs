//! Every fixed PostgreSQL statement of the team store, one file each under `sql/postgres/`
//! (the per-table copy statements are named by `tables::Table`). Each file starts with comment
//! lines naming its parameters and caller.

macro_rules! queries {
    ($($name:ident => $file:literal,)*) => {
        $(
            #[doc = concat!("`sql/postgres/", $file, "`")]
            pub(crate) const $name: &str = include_str!(concat!("../../sql/postgres/", $file));
        )*
        /// Every statement with its file name (the prepare-all test).
        #[cfg(test)]
        #[allow(dead_code)]
        pub(crate) const ALL: &[(&str, &str)] = &[$(($file, $name),)*];
    };
}

queries! {
    ANALYZE => "analyze.sql",
    ANALYZE_CATALOGS => "analyze_catalogs.sql",
    ANALYZE_RECORDS => "analyze_records.sql",
    GEN_IDS_REGISTERED_SINCE => "gen_ids_registered_since.sql",
    LOCK_SESSION => "lock_session.sql",
    LOCK_WRITE => "lock_write.sql",
    RECORD_BY_ID => "record_by_id.sql",
    RECORDS_INSERT => "cohort_records_insert.sql",
    SCHEMA_STATE => "schema_state.sql",
    SCHEMA_VERSION => "schema_version.sql",
    STATE_IDS => "state_ids.sql",
    STATE_TOPS => "state_tops.sql",
    STORE_UUID => "store_uuid.sql",
    UNLOCK_SESSION => "unlock_session.sql",
}
