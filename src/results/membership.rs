//! A cohort that exists only as files: `cohorts/<id>/membership.csv`, read as the reference's
//! pandas reads it (docs/reference.md, "Results" §3): the `stage` and `gen_id` columns, each
//! typed over the whole file, cells turned into text the pandas way (`007` → `7` in an
//! all-integer column, missing → `nan`), evaluation rows kept by a case-insensitive but
//! unstripped stage match, duplicates dropped keeping the first.

use super::frame::{self, Cell, ReadError};

/// The rows of a membership file as typed text: `(stage, gen_id)` per data row, each cell as
/// `str(cell)` (missing → `nan`). `all_columns`: every row must fit the header (the coverage
/// script reads all columns); otherwise only `stage` and `gen_id` are read (extra fields are
/// ignored, as with pandas' `usecols`).
pub fn read_rows(bytes: &[u8], all_columns: bool) -> Result<Vec<(String, String)>, ReadError> {
    let records = frame::tokenize(bytes)?;
    let Some((header, rows)) = records.split_first() else {
        return Err(ReadError::NoColumns);
    };
    let find = |name: &str| header.iter().position(|h| h == name);
    let (stage, gen_id) = match (find("stage"), find("gen_id")) {
        (Some(s), Some(g)) => (s, g),
        (s, g) => {
            let missing = [("stage", s), ("gen_id", g)]
                .iter()
                .filter(|(_, at)| at.is_none())
                .map(|(n, _)| n.to_string())
                .collect();
            return Err(ReadError::MissingColumns { missing });
        }
    };
    if all_columns
        && let Some((i, row)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() > header.len())
    {
        return Err(ReadError::TooManyFields {
            record: i + 2,
            expected: header.len(),
            saw: row.len(),
        });
    }
    let column = |at: usize| {
        let tokens: Vec<Option<&str>> =
            rows.iter().map(|r| r.get(at).map(String::as_str)).collect();
        frame::infer(&tokens).cells
    };
    let stages = column(stage);
    let gen_ids = column(gen_id);
    Ok(stages
        .iter()
        .zip(&gen_ids)
        .map(|(s, g)| (s.str_text(), g.str_text()))
        .collect())
}

/// The evaluation gen_ids the reference aggregates, in membership order, without duplicates.
pub fn evaluation_ids(bytes: &[u8]) -> Result<Vec<String>, ReadError> {
    let mut seen = std::collections::HashSet::new();
    Ok(read_rows(bytes, false)?
        .into_iter()
        .filter(|(stage, _)| crate::ids::py_lower(stage) == "evaluation")
        .map(|(_, gen_id)| gen_id)
        .filter(|g| !g.is_empty() && seen.insert(g.clone()))
        .collect())
}

/// `str(cell)` as the membership reader gives it, exposed for tests.
pub fn cell_text(cell: &Cell) -> String {
    cell.str_text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_quirks_of_the_reference() {
        let ids = |text: &str| evaluation_ids(text.as_bytes()).unwrap();
        assert_eq!(
            ids(
                "stage,gen_id,x\ndraft,d1,1\nevaluation,v1\nEVALUATION,v2\n evaluation,v3\nEvaluation,v1\n"
            ),
            ["v1", "v2"]
        );
        assert_eq!(
            ids("stage,gen_id\nevaluation,007\nevaluation,0010\n"),
            ["7", "10"]
        );
        assert_eq!(
            ids("stage,gen_id\nevaluation,7\nevaluation,\n"),
            ["7.0", "nan"]
        );
        assert_eq!(
            ids("stage,gen_id\nevaluation,NA\nevaluation, v1\n"),
            ["nan", " v1"]
        );
        assert_eq!(ids("gen_id,stage\n\"v,1\",evaluation\n"), ["v,1"]);
        assert_eq!(ids("stage,gen_id\n"), Vec::<String>::new());
        assert_eq!(evaluation_ids(b""), Err(ReadError::NoColumns));
        assert!(matches!(
            evaluation_ids(b"stage,id\nevaluation,v1\n"),
            Err(ReadError::MissingColumns { .. })
        ));
        assert!(read_rows(b"stage,gen_id\nevaluation,v1,extra\n", true).is_err());
        assert!(read_rows(b"stage,gen_id\nevaluation,v1,extra\n", false).is_ok());
    }
}
