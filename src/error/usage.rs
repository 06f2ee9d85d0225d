//! Invalid command-line values and combinations (`Error::Argument`), and statements `query`
//! refuses (`Error::ReadOnly`).

use std::time::Duration;

use crate::ids::Stage;
use crate::textfmt::capped;

/// The command that looked a cohort up, for [`UsageError::NoSuchCohort`]'s hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CohortLookup {
    /// Loading a stored cohort (`export`, `verify`, `status`).
    Stored,
    /// `show`.
    Show,
    /// `diff`, where a side is a cohort id or a spec.
    Diff,
    /// Reading a stored spec bundle (no hint).
    Bundle,
}

/// A command-line value, or a file named on the command line, that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// `push` or `pull` (Python: `Store.push`, `Store.pull`) named no cohort.
    #[error("no cohort to copy: name at least one cohort id")]
    NoCohorts,
    /// A cohort id outside D11's alphabet (docs/decisions.md D11); invisible characters are
    /// named with their position (D20).
    #[error("invalid cohort id{}", match invisible { Some(p) => format!(": {p}"), None => format!(" {shown:?}") })]
    BadCohortId {
        /// The id as given.
        value: String,
        /// The id as shown: cut after 60 characters.
        shown: String,
        /// The invisible character found, described, when that is the problem.
        invisible: Option<String>,
    },
    /// `--catalog-csv` is not `AXIS=PATH[:COLUMN]`.
    #[error("--catalog-csv {arg:?}: expected AXIS=PATH[:COLUMN]")]
    CatalogCsvSyntax {
        /// The argument.
        arg: String,
    },
    /// `--catalog-csv =PATH`.
    #[error("--catalog-csv {arg:?}: the axis name is missing")]
    CatalogCsvNoAxis {
        /// The argument.
        arg: String,
    },
    /// `--catalog-csv AXIS=@name` with an unknown shortcut.
    #[error("--catalog-csv {arg:?}: unknown shortcut @{name}")]
    CatalogCsvShortcut {
        /// The argument.
        arg: String,
        /// The shortcut's name.
        name: String,
    },
    /// A `--catalog-csv` axis the compiled rows do not have.
    #[error(
        "catalog for {axis:?}: the compiled rows have no column {axis:?} (columns: {})",
        columns.join(", ")
    )]
    NoSuchColumn {
        /// The axis.
        axis: String,
        /// The compiled rows' columns.
        columns: Vec<String>,
    },
    /// Compiled rows use values the `--catalog`/`--catalog-csv` lists lack.
    #[error(
        "compiled rows use values missing from the catalogs ({})",
        crate::textfmt::count(columns.len() as u64, "column")
    )]
    NotInCatalogs {
        /// Per column: the axis, its values missing from the lists, and the lists' files.
        columns: Vec<(String, Vec<String>, Vec<String>)>,
    },
    /// A `--catalog-csv` file that is not UTF-8.
    #[error("{path}: the catalog is not valid UTF-8")]
    CatalogNotUtf8 {
        /// The file as named.
        path: String,
    },
    /// A catalog file named on the command line does not exist.
    #[error("{path}: no such catalog file")]
    NoCatalogFile {
        /// The file.
        path: String,
    },
    /// `import KIND FILE` with an unknown kind.
    #[error("unknown catalog kind {kind:?} (expected one of: {})", expected.join(", "))]
    UnknownCatalogKind {
        /// The kind as given.
        kind: String,
        /// The kinds there are.
        expected: Vec<String>,
    },
    /// `import` on a data root without catalog files.
    #[error(
        "nothing to import: the data root {} {}",
        capped(root),
        if *is_dir { "holds no catalog file" } else { "is not a folder" }
    )]
    NothingToImport {
        /// The data root.
        root: String,
        /// Whether it is a folder (holding no catalog) or not a folder at all.
        is_dir: bool,
        /// The catalog files looked for.
        expected: Vec<String>,
    },
    /// A spec path without a file name.
    #[error("{path}: not a spec file")]
    NotASpecFile {
        /// The path.
        path: String,
    },
    /// A spec path naming a folder without `config.yaml`, a link or a special file.
    #[error("{path}: is {what}, not a regular file")]
    SpecNotRegular {
        /// The spec file as shown.
        path: String,
        /// What it is instead (`a directory`, `a symbolic link`, …).
        what: String,
    },
    /// `backup - --format json`: stdout carries the backup.
    #[error(
        "backup -: stdout carries the backup's bytes, so there is no stream for --format json; \
         name a file, or drop --format json (the report line goes to stderr)"
    )]
    BackupJsonToStdout,
    /// SPEC `-`: a spec is not read from stdin (docs/decisions.md D30).
    #[error(
        "SPEC -: a spec is read from a file or a folder, not from stdin (its @file: includes are \
         found next to it, and build stores it by file name); save it as a .yaml file and name \
         that (a file named - is ./-)"
    )]
    SpecFromStdin,
    /// The spec file does not exist.
    #[error("{path}: spec file not found")]
    SpecNotFound {
        /// The spec file as shown.
        path: String,
    },
    /// `migrate membership` without a membership.csv.
    #[error("{path}: no such file; `migrate membership` reads a cohort's membership.csv")]
    NoMembershipFile {
        /// The file looked for.
        path: String,
    },
    /// `compile --out FILE` with an extension that names no format.
    #[error(
        "{path}: unknown output format .{ext} (name the file .csv or .jsonl, or pass --format csv|jsonl)"
    )]
    UnknownOutputFormat {
        /// The output file.
        path: String,
        /// Its extension.
        ext: String,
    },
    /// `compile --limit` with `--out`.
    #[error("--limit prints to stdout; it cannot be combined with --out")]
    LimitWithOut,
    /// The product has more rows than `--max-rows`.
    #[error("the spec's product has {rows} rows, more than --max-rows {max_rows}")]
    TooManyRows {
        /// The product's rows.
        rows: u128,
        /// The limit.
        max_rows: u128,
    },
    /// The product has more output columns than SQLite holds in a table or a row.
    #[error(
        "the spec's product has {columns} output columns; cohortdb compiles at most {max} \
         (SQLite's limit of 2000 columns in a table or a row)"
    )]
    TooManyColumns {
        /// The product's output columns (a tuple component printed in two forms counts twice).
        columns: usize,
        /// The limit.
        max: usize,
    },
    /// A shuffle of more rows than the shuffle supports.
    #[error("cannot shuffle {rows} rows (at most {max})")]
    TooManyShuffledRows {
        /// The rows to shuffle.
        rows: u128,
        /// The limit.
        max: u128,
    },
    /// `backup` to a file that exists.
    #[error("backup: {path} already exists; name a new file (a backup never overwrites)")]
    BackupExists {
        /// The destination.
        path: String,
    },
    /// `backup` to a name SQLite gives a companion file of another database (`X-wal`, …): the
    /// next program to open that database would replay or delete the copy.
    #[error(
        "backup: {path} is named like the {} of a database {base}; SQLite would take the copy \
         for it and replay or delete it when {base} is next opened",
        companion_role(suffix)
    )]
    BackupCompanionName {
        /// The destination.
        path: String,
        /// The database it would belong to.
        base: String,
        /// The companion suffix (`-wal`, `-journal`, `-shm`, `-mj…`).
        suffix: String,
    },
    /// `backup` to a name beside which a companion file already exists (`DEST-wal`, …): SQLite
    /// would apply it to the copy, or delete it, when the copy is opened.
    #[error(
        "backup: {companion} exists beside {path}; SQLite would take it for the {} of the copy \
         and apply or delete it when the copy is opened",
        companion_role(suffix)
    )]
    BackupCompanionExists {
        /// The destination.
        path: String,
        /// The companion file found.
        companion: String,
        /// Its suffix.
        suffix: String,
    },
    /// `verify --all` met cohorts it could not verify.
    #[error("verify --all: {} could not be verified", crate::textfmt::count(*count as u64, "cohort"))]
    VerifyAllFailed {
        /// How many.
        count: usize,
    },
    /// `query` stopped by `--timeout` or Ctrl-C.
    #[error("{}", match timeout {
        Some(t) => format!("query stopped after --timeout {}; nothing more was read", humantime::format_duration(*t)),
        None => "query interrupted (Ctrl-C); nothing more was read".to_string(),
    })]
    QueryStopped {
        /// The timeout that stopped it; `None` for Ctrl-C.
        timeout: Option<Duration>,
    },
    /// The cohort is not in the store.
    #[error("no cohort {id:?} in the store")]
    NoSuchCohort {
        /// The cohort id as given.
        id: String,
        /// The command that looked it up (it picks the hint).
        lookup: CohortLookup,
        /// The stored id nearest to `id` (a likely typo), if one is near.
        did_you_mean: Option<String>,
    },
    /// A command that reads or writes folders of the data root (`verify` or `export` without
    /// --dir/--out or --gens-root, `status`) under a --data-root that is not a folder: a
    /// mistyped data root must not read as "not exported", nor be created by a write.
    #[error("--data-root {path}: no such folder")]
    NoDataRoot {
        /// The data root.
        path: String,
        /// The command (`verify`, `export`, `status`, `results`): it picks the hint.
        command: &'static str,
    },
    /// `new`: the cohort's spec folder exists already.
    #[error("{path} exists already: `cohortdb new` writes a new spec folder only")]
    SpecFolderExists {
        /// The spec folder.
        path: String,
    },
    /// `new`: the cohort id is stored already.
    #[error("cohort {id:?} is stored already: `cohortdb new` starts a new cohort")]
    CohortExists {
        /// The id.
        id: String,
    },
    /// `new` without `--from`: a catalog the starter spec needs is empty.
    #[error("the imported catalogs have no ids for {axes}")]
    NoCatalogIds {
        /// The axes without an id.
        axes: String,
    },
    /// A team store needs a folder for its local mirror and none is named.
    #[error(
        "no folder for the team store's local mirror: neither COHORTDB_MIRROR_DIR, \
             XDG_CACHE_HOME nor HOME is set"
    )]
    NoMirrorDir,
    /// The project file (`cohortdb.yaml`, docs/cli.md "The project file") cannot be used.
    #[error("{path}: {problem}")]
    BadProjectFile {
        /// The project file.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A folder named on the command line (`--dir`, `--gens-root`) does not exist.
    #[error("{flag} {path}: no such folder")]
    NoSuchFolder {
        /// The option.
        flag: &'static str,
        /// The folder.
        path: String,
    },
    /// `diff` of a spec whose product is larger than a scratch build takes.
    #[error("{path}: the spec's product has {rows} rows, more than {max}")]
    DiffTooManyRows {
        /// The spec.
        path: String,
        /// The product's rows.
        rows: u128,
        /// The limit.
        max: u128,
    },
    /// The store's path cannot be written as a `file:` URI.
    #[error("{path}: the store path is not UTF-8")]
    StorePathNotUtf8 {
        /// The store path.
        path: String,
    },
    /// `query` could not read its statement from stdin.
    #[error("query: reading {what}: {error}")]
    QueryRead {
        /// What was being read.
        what: &'static str,
        /// The operating system's message.
        error: String,
    },
    /// `query --file` names a file that is not UTF-8.
    #[error("{path}: the statement is not UTF-8 (byte {byte})")]
    SqlNotUtf8 {
        /// The file.
        path: String,
        /// The offset of the first invalid byte.
        byte: usize,
    },
    /// `query` without a statement.
    #[error("query: no SQL statement")]
    NoSql,
    /// `verify --all` with one export folder (`--dir`): each cohort has its own.
    #[error("verify: --dir names one cohort's export folder; it cannot be used with --all")]
    DirWithAll,
    /// Positional query parameters whose number is not the statement's.
    #[error("query: the statement has {}, {} given", crate::textfmt::count(*expected as u64, "parameter"), crate::textfmt::count(*given as u64, "value"))]
    ParameterCount {
        /// The statement's parameters.
        expected: usize,
        /// The values given.
        given: usize,
    },
    /// `query --param NAME=…` for a parameter the statement does not have.
    #[error("query: a value was given for {name}, but the statement has no parameter {}", match name.trim_start_matches('?') {
        n if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => format!("?{n}"),
        _ => format!(":{}", name.trim_start_matches([':', '@', '$'])),
    })]
    NoSuchParameter {
        /// The name as given.
        name: String,
    },
    /// Parameters of the statement without a `--param`.
    #[error(
        "query: no value for the statement's {} {}",
        crate::textfmt::plural(missing.len() as u64, "parameter"),
        missing.join(", ")
    )]
    MissingParameters {
        /// The parameters (`:name`, `?2`).
        missing: Vec<String>,
    },
    /// A migrated member's signature component cannot form a gen_id (docs/reference.md §3.9).
    #[error("a {} signature is invalid: {reason}", stage.as_str())]
    BadSignature {
        /// The member's stage.
        stage: Stage,
        /// Why the component was refused.
        reason: String,
    },
    /// `query --format parquet`: a value of another storage class than its column's Parquet
    /// type, which nothing converts to (docs/decisions.md D31).
    #[error(
        "query --format parquet: column {column} holds {found} at row {row}, but its Parquet type is {kind} ({}); cast it in the statement, e.g. `cast({column} as {})`",
        if *declared { "from its declared type" } else { "from its first rows" },
        if *found == "a real" && *kind == "int64" { "real" } else { "text" }
    )]
    ParquetValue {
        /// The column's name, quoted and capped.
        column: String,
        /// The row, counted from 1.
        row: u64,
        /// The value's storage class (`text`, `a blob`, `a real`, `an integer`).
        found: &'static str,
        /// The column's Parquet type (`int64`, `double`, `utf8`, `binary`).
        kind: &'static str,
        /// Whether the column's declared type fixed it (else its first row group's values).
        declared: bool,
    },
    /// `query --format parquet` of a result with two columns of one name.
    #[error(
        "query --format parquet: two columns named {column}; a Parquet reader addresses columns by name, so give them different names (`… as other_name`)"
    )]
    ParquetDuplicateColumn {
        /// The name, quoted and capped.
        column: String,
    },
    /// `query --format parquet` to a terminal.
    #[error(
        "query --format parquet writes a binary file: name it with --out FILE, or redirect stdout"
    )]
    ParquetToTerminal,
    /// A format this build was compiled without (`--no-default-features`).
    #[error(
        "query --format {format}: this cohortdb was built without the `{feature}` cargo feature"
    )]
    FormatDisabled {
        /// The format asked for.
        format: &'static str,
        /// The cargo feature that provides it.
        feature: &'static str,
    },
}

impl UsageError {
    /// Lines printed after the message.
    pub fn detail(&self) -> Vec<String> {
        match self {
            UsageError::BadCohortId { .. } => vec![
                "a cohort id is 1 to 128 letters, digits, '.', '_' or '-', starting with a letter \
                 or digit (D11); it names the folder cohorts/<id>/"
                    .to_string(),
            ],
            UsageError::NothingToImport { expected, .. } => {
                vec![format!("expected at least one of: {}", expected.join(", "))]
            }
            UsageError::NotInCatalogs { columns } => columns
                .iter()
                .map(|(axis, missing, sources)| {
                    let missing: Vec<String> = missing.iter().map(|m| format!("{m:?}")).collect();
                    format!(
                        "{axis}: {} (catalog: {})",
                        missing.join(", "),
                        sources.join(", ")
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// What to do about it.
    pub fn hints(&self) -> Vec<String> {
        if let UsageError::NoSuchCohort {
            did_you_mean: Some(near),
            ..
        } = self
        {
            let mut hints = vec![format!("did you mean {near:?}?")];
            hints.extend(self.kind_hints());
            return hints;
        }
        self.kind_hints()
    }

    fn kind_hints(&self) -> Vec<String> {
        let hint = match self {
            UsageError::CatalogCsvShortcut { .. } => {
                "shortcuts are @llm_models_csv, @concepts_csv, @combo_mappings_csv, \
                 @draft_templates_csv, @essay_templates_csv, @evaluation_templates_csv"
            }
            UsageError::NothingToImport { .. } => {
                "pass --data-root DIR (or COHORTDB_DATA_ROOT), or `import KIND FILE`"
            }
            UsageError::TooManyRows { .. } => {
                "`cohortdb explain SPEC` shows which axes and rules make it this large; raise \
                 --max-rows if it is intended"
            }
            UsageError::NoSuchCohort { lookup, .. } => match lookup {
                CohortLookup::Stored => {
                    "`cohortdb cohorts` lists the stored cohorts; `cohortdb build` stores one"
                }
                CohortLookup::Show => "`cohortdb cohorts` lists the stored cohorts",
                CohortLookup::Diff => {
                    "`cohortdb cohorts` lists the stored cohorts; a spec is given as a file or a \
                     folder holding config.yaml"
                }
                CohortLookup::Bundle => return Vec::new(),
            },
            UsageError::NoDataRoot { command, .. } => match *command {
                "export" => {
                    "export writes to <data-root>/cohorts/<id> and <data-root>/gens by default; \
                     pass the data root that exists (--data-root or COHORTDB_DATA_ROOT), or name \
                     --out and --gens-root, which are created when missing"
                }
                "status" => {
                    "status compares <data-root>/cohorts/<id> with the store; pass the data root \
                     that exists (--data-root or COHORTDB_DATA_ROOT)"
                }
                "verify" => {
                    "the export folder and gens root default to folders of the data root; name \
                     them with --dir and --gens-root, or check only the store with --store-only"
                }
                _ => {
                    "the generations and cohort folders default to folders of the data root; pass \
                     the data root that exists (--data-root or COHORTDB_DATA_ROOT), or name \
                     --gens-root"
                }
            },
            UsageError::NoMirrorDir => {
                "set COHORTDB_MIRROR_DIR to a folder only you can write (docs/postgres.md)"
            }
            UsageError::SpecFolderExists { .. } => {
                "edit that spec and `cohortdb build` it, or choose another cohort id"
            }
            UsageError::CohortExists { .. } => {
                "choose another id; `cohortdb new NEW_ID --from STORED_ID` starts from a stored \
                 cohort's spec"
            }
            UsageError::NoCatalogIds { .. } => {
                "a starter spec takes the first id of each catalog: `cohortdb import` the data \
                 layout's catalogs first, or start from a stored cohort with --from"
            }
            UsageError::BadProjectFile { .. } => {
                "a project file holds `db:` and `data_root:`, paths relative to its folder \
                 (docs/cli.md, \"The project file\"); fix it, or name both with --db and \
                 --data-root"
            }
            UsageError::NoSuchFolder { .. } => {
                "a folder named on the command line must exist; a cohort that was never exported \
                 is checked with --store-only"
            }
            UsageError::MissingParameters { .. } => {
                "give each with --param NAME=VALUE (positional ? parameters cannot be named; use \
                 :name)"
            }
            UsageError::TooManyColumns { .. } => {
                "every axis is a column of the design rows; split the spec into specs of fewer \
                 axes"
            }
            UsageError::BackupCompanionName { .. } => {
                "name the backup so it does not end in -journal, -wal or -shm (e.g. \
                 `cohortdb backup cohorts-2026-01-31.db`)"
            }
            UsageError::BackupCompanionExists { .. } => {
                "remove that file if it is a leftover (it belongs to no database of this name \
                 yet), or name another backup file"
            }
            _ => return Vec::new(),
        };
        vec![hint.to_string()]
    }

    /// The offending value, when there is one.
    pub fn value(&self) -> Option<String> {
        match self {
            UsageError::BadCohortId { value, .. } => Some(value.clone()),
            UsageError::CatalogCsvSyntax { arg }
            | UsageError::CatalogCsvNoAxis { arg }
            | UsageError::CatalogCsvShortcut { arg, .. } => Some(arg.clone()),
            UsageError::NoSuchColumn { axis, .. } => Some(axis.clone()),
            UsageError::UnknownCatalogKind { kind, .. } => Some(kind.clone()),
            UsageError::UnknownOutputFormat { ext, .. } => Some(ext.clone()),
            UsageError::TooManyRows { rows, .. } | UsageError::TooManyShuffledRows { rows, .. } => {
                Some(rows.to_string())
            }
            UsageError::TooManyColumns { columns, .. } => Some(columns.to_string()),
            UsageError::NoSuchCohort { id, .. } => Some(id.clone()),
            UsageError::NoSuchParameter { name } => Some(name.clone()),
            UsageError::DiffTooManyRows { rows, .. } => Some(rows.to_string()),
            _ => None,
        }
    }

    /// The file concerned, when there is one.
    pub fn file(&self) -> Option<&str> {
        match self {
            UsageError::CatalogNotUtf8 { path }
            | UsageError::NoCatalogFile { path }
            | UsageError::NotASpecFile { path }
            | UsageError::SpecNotRegular { path, .. }
            | UsageError::SpecNotFound { path }
            | UsageError::NoMembershipFile { path }
            | UsageError::UnknownOutputFormat { path, .. }
            | UsageError::BackupExists { path }
            | UsageError::BackupCompanionName { path, .. }
            | UsageError::BackupCompanionExists { path, .. }
            | UsageError::NoDataRoot { path, .. }
            | UsageError::BadProjectFile { path, .. }
            | UsageError::SpecFolderExists { path }
            | UsageError::NoSuchFolder { path, .. }
            | UsageError::DiffTooManyRows { path, .. }
            | UsageError::StorePathNotUtf8 { path }
            | UsageError::SqlNotUtf8 { path, .. } => Some(path),
            UsageError::NothingToImport { root, .. } => Some(root),
            _ => None,
        }
    }
}

/// What SQLite keeps in a companion file with `suffix` beside a database.
fn companion_role(suffix: &str) -> &'static str {
    match suffix {
        "-journal" => "rollback journal",
        "-wal" => "write-ahead log",
        "-shm" => "shared-memory index",
        _ => "super-journal",
    }
}

/// A statement `query` refuses: `query` is read-only and runs one statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadOnlyError {
    /// Nothing but whitespace and comments.
    #[error("query: the SQL statement is empty")]
    Empty,
    /// SQLite's authorizer or `query_only` refused it.
    #[error("query is read-only: {reason}: {statement}")]
    NotAuthorized {
        /// SQLite's message.
        reason: String,
        /// The statement's first words.
        statement: String,
    },
    /// More than one statement.
    #[error("query runs exactly one SQL statement; remove the text after the first `;`")]
    MultipleStatements,
    /// The statement would write.
    #[error("query is read-only; this statement would write: {statement}")]
    Writes {
        /// The statement's first words.
        statement: String,
    },
}
