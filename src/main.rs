//! The `cohortdb` binary: the command line of the library (`cohortdb::cli_main`,
//! src/cli/entry.rs), which the Python package's `cohortdb` command runs too.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(cohortdb::cli_main(std::env::args_os()))
}
