//! The score of an evaluation, exactly as the reference parses it (docs/reference.md,
//! "Results" §4.4): Python's `float()` of the last line of the stripped `parsed.txt`.

use super::pytext;

/// The text the reference writes for an evaluation without a score to read.
pub const MISSING: &str = "missing parsed.txt";

/// `(score, its repr, error)` for the content of `parsed.txt` (empty when missing). NaN gives no
/// score and no error; an unreadable last line gives the reference's `ValueError` text.
pub fn parse(content: &str) -> (Option<f64>, Option<String>, Option<String>) {
    let text = pytext::strip(content);
    if text.is_empty() {
        return (None, None, Some(MISSING.to_string()));
    }
    let line = pytext::strip(pytext::last_line(text));
    match pytext::py_float(line) {
        Some(f) if f.is_nan() => (None, None, None),
        Some(f) => (Some(f), Some(pytext::float_repr(f)), None),
        None => (
            None,
            None,
            Some(format!(
                "Invalid parsed.txt: could not convert string to float: {}",
                pytext::repr_str(line)
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectors of docs/reference.md, "Results" §4.4 and §11.
    #[test]
    fn reference_vectors() {
        let ok = |content: &str, want: &str| {
            let (score, text, error) = parse(content);
            assert!(score.is_some(), "{content:?}");
            assert_eq!(text.as_deref(), Some(want), "{content:?}");
            assert_eq!(error, None);
        };
        ok("7", "7.0");
        ok("  7 ", "7.0");
        ok("+3", "3.0");
        ok("1e3", "1000.0");
        ok("1_0", "10.0");
        ok("inf", "inf");
        ok("-Infinity", "-inf");
        ok("The essay is fine.\nSCORE below\n9", "9.0");
        ok("\u{663}", "3.0");
        ok("\u{ff17}\n\n  \n", "7.0");
        ok("1e400", "inf");
        ok("-0", "-0.0");
        ok("1e16", "1e+16");
        ok("4.25", "4.25");
        assert_eq!(parse("nan"), (None, None, None));
        assert_eq!(parse("-nan"), (None, None, None));
        for empty in ["", "   ", "\n\n\r\n", "\u{2028}"] {
            assert_eq!(
                parse(empty),
                (None, None, Some(MISSING.to_string())),
                "{empty:?}"
            );
        }
        let bad = |content: &str, want: &str| {
            assert_eq!(
                parse(content),
                (
                    None,
                    None,
                    Some(format!(
                        "Invalid parsed.txt: could not convert string to float: {want}"
                    ))
                ),
                "{content:?}"
            );
        };
        bad("8/10", "'8/10'");
        bad("a'b", "\"a'b\"");
        bad("it's \"x\"", "'it\\'s \"x\"'");
        bad("\u{feff}7", "'\\ufeff7'");
        bad("tab\there", "'tab\\there'");
        bad("SCORE: 9", "'SCORE: 9'");
        bad("9\nSCORE: 9", "'SCORE: 9'");
        bad("7 5", "'7 5'");
        bad("3,5", "'3,5'");
        bad("\u{2212}1", "'−1'");
        bad("1\u{1f}2", "'1\\x1f2'");
    }
}
