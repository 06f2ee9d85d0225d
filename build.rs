//! Refinery embeds `migrations/*.sql` with `include_str!`, so an edited file recompiles, but a
//! *new* file is only picked up when something else changes. Rerunning on the folder fixes that
//! (atuin's `crates/atuin-client/build.rs` documents the same hazard for sqlx).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=sql");
}
