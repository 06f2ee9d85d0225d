//! Refinery embeds `migrations/*.sql` with `include_str!`, so an edited file recompiles, but a
//! *new* file is only picked up when something else changes. Rerunning on the folder fixes that
//! (atuin's `crates/atuin-client/build.rs` documents the same hazard for sqlx).
//!
//! On Linux it also compiles `src/store/ofd_shim.c`, the variadic `fcntl` replacement through
//! which the bundled SQLite takes open file description locks (docs/storage.md, "Shared use").
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=sql");
    println!("cargo:rerun-if-changed=src/store/ofd_shim.c");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        cc::Build::new()
            .file("src/store/ofd_shim.c")
            .warnings(true)
            .compile("cohortdb_ofd_shim");
    }
}
