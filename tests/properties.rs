//! Property tests for the compiler and the content hash (proptest; failing cases are kept in
//! proptest-regressions/).

use std::collections::BTreeMap;

use cohortdb::compile::output::{Format, RowWriter};
use cohortdb::compile::shuffle::Seed;
use cohortdb::compile::{self, Compiled};
use cohortdb::record::canonical::spec_hash;
use cohortdb::spec::{Bundle, Plan, Spec, load_bundle, resolve};
use proptest::prelude::*;

/// A generated spec: axes of distinct sentinel levels, an optional subset on the first axis, an
/// optional pair over the last two axes, and the YAML pieces to lay it out in several ways.
#[derive(Debug, Clone)]
struct Gen {
    axes: Vec<(String, Vec<String>)>,
    subset: Option<Vec<String>>,
    pair: Option<Vec<(String, String)>>,
    seed: Option<i64>,
}

fn sentinel() -> impl Strategy<Value = String> {
    "[A-Z0-9]{8}".prop_map(|s| format!("SENTINEL-{s}"))
}

fn gen_spec() -> impl Strategy<Value = Gen> {
    (1usize..5)
        .prop_flat_map(|n| {
            proptest::collection::vec(proptest::collection::btree_set(sentinel(), 1..4), n)
        })
        .prop_flat_map(|levels| {
            let axes: Vec<(String, Vec<String>)> = levels
                .into_iter()
                .enumerate()
                .map(|(i, l)| (format!("axis_{i}"), l.into_iter().collect()))
                .collect();
            let first = axes[0].1.clone();
            let subset = proptest::option::of(proptest::sample::subsequence(
                first.clone(),
                1..=first.len(),
            ));
            let pair = if axes.len() >= 3 {
                let left = axes[axes.len() - 2].1.clone();
                let right = axes[axes.len() - 1].1.clone();
                let product: Vec<(String, String)> = left
                    .iter()
                    .flat_map(|l| right.iter().map(move |r| (l.clone(), r.clone())))
                    .collect();
                let n = product.len();
                proptest::option::of(proptest::sample::subsequence(product, 1..=n)).boxed()
            } else {
                Just(None).boxed()
            };
            (
                Just(axes),
                subset,
                pair,
                proptest::option::of(any::<i32>().prop_map(i64::from)),
            )
        })
        .prop_map(|(axes, subset, pair, seed)| Gen {
            axes,
            subset,
            pair,
            seed,
        })
}

fn list(items: &[String], quote: bool) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|s| if quote { format!("'{s}'") } else { s.clone() })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Lays the spec out as YAML. `variant` changes only what D12 says must not matter: top-level
/// key order, key order inside the pair and output, comments, quoting.
fn yaml(g: &Gen, variant: u8) -> String {
    let quote = variant & 1 == 1;
    let mut axes = String::from("axes:\n");
    for (name, levels) in &g.axes {
        axes.push_str(&format!("  {name}: {}\n", list(levels, quote)));
    }
    let mut rules = String::new();
    if g.subset.is_some() || g.pair.is_some() {
        rules.push_str("rules:\n");
        if let Some(keep) = &g.subset {
            rules.push_str(&format!("  subsets:\n    axis_0: {}\n", list(keep, quote)));
        }
        if let Some(allowed) = &g.pair {
            let (l, r) = (&g.axes[g.axes.len() - 2].0, &g.axes[g.axes.len() - 1].0);
            let entries: Vec<String> = allowed
                .iter()
                .map(|(a, b)| list(&[a.clone(), b.clone()], quote))
                .collect();
            if variant & 2 == 2 {
                rules.push_str(&format!(
                    "  pairs:\n    p:\n      allowed: [{}]\n      right: {r}\n      left: {l}\n",
                    entries.join(", ")
                ));
            } else {
                rules.push_str(&format!(
                    "  pairs:\n    p:\n      left: {l}\n      right: {r}\n      allowed: [{}]\n",
                    entries.join(", ")
                ));
            }
        }
    }
    let seed = g.seed.map(|s| format!("  seed: {s}\n")).unwrap_or_default();
    let output = if variant & 2 == 2 {
        format!("output:\n{seed}  field_order: [axis_0]\n")
    } else {
        format!("output:\n  field_order: [axis_0]\n{seed}")
    };
    let comment = if variant & 4 == 4 {
        "# a comment that means nothing\n"
    } else {
        ""
    };
    if variant & 2 == 2 {
        format!("{comment}{output}{rules}{axes}")
    } else {
        format!("{comment}{axes}{rules}{output}")
    }
}

fn load(text: &str) -> Spec {
    let mut files = BTreeMap::new();
    files.insert("config.yaml".to_string(), text.as_bytes().to_vec());
    load_bundle(
        &Bundle {
            config: "config.yaml".into(),
            files,
        },
        "spec",
    )
    .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn seed_of(seed: Option<i64>) -> Option<Seed> {
    seed.map(Seed::from)
}

fn compile_csv(plan: &Plan, seed: Option<i64>) -> Vec<u8> {
    let mut writer = RowWriter::new(Vec::new(), Format::Csv, plan, b"\r\n");
    compile::write_design(plan, seed_of(seed).as_ref(), &mut writer, None, "memory").unwrap();
    writer.finish().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn values_never_appear_in_sql_text(g in gen_spec()) {
        let spec = load(&yaml(&g, 0));
        let plan = resolve(&spec).unwrap();
        for seeded in [false, true] {
            let compiled = Compiled::new(&plan, &compile::output_selections(&plan), seeded);
            let mut text = compiled.select_statement();
            for (i, create) in compiled.create_statements().iter().enumerate() {
                text.push_str(create);
                text.push_str(&compiled.insert_statement(i));
            }
            prop_assert!(!text.contains("SENTINEL"), "{}", text);
        }
    }

    #[test]
    fn compiling_twice_gives_identical_bytes_and_explains_row_count(g in gen_spec()) {
        let spec = load(&yaml(&g, 0));
        let plan = resolve(&spec).unwrap();
        let a = compile_csv(&plan, g.seed);
        let b = compile_csv(&resolve(&load(&yaml(&g, 0))).unwrap(), g.seed);
        prop_assert_eq!(&a, &b);
        let rows = a.split(|&c| c == b'\n').filter(|l| !l.is_empty()).count() - 1;
        prop_assert_eq!(rows as u128, plan.row_count());
        if g.seed.is_some() {
            // A shuffle permutes the rows; the multiset is the unshuffled one.
            let mut shuffled: Vec<&[u8]> = a.split(|&c| c == b'\n').collect();
            let plain_bytes = compile_csv(&plan, None);
            let mut plain: Vec<&[u8]> = plain_bytes.split(|&c| c == b'\n').collect();
            shuffled.sort();
            plain.sort();
            prop_assert_eq!(shuffled, plain);
        }
    }

    #[test]
    fn without_rules_the_row_count_is_the_product_of_level_counts(g in gen_spec()) {
        let g = Gen { subset: None, pair: None, ..g };
        let plan = resolve(&load(&yaml(&g, 0))).unwrap();
        let product: u128 = g.axes.iter().map(|(_, l)| l.len() as u128).product();
        prop_assert_eq!(plan.row_count(), product);
        let csv = compile_csv(&plan, None);
        prop_assert_eq!(csv.split(|&c| c == b'\n').filter(|l| !l.is_empty()).count() as u128 - 1, product);
    }

    #[test]
    fn the_spec_hash_ignores_layout_and_follows_content(g in gen_spec(), variant in 1u8..8) {
        let base = spec_hash(&load(&yaml(&g, 0)), seed_of(g.seed).as_ref());
        prop_assert_eq!(spec_hash(&load(&yaml(&g, variant)), seed_of(g.seed).as_ref()), base, "layout changed the hash");
        // Any level, the axis order, and the seed change it.
        let mut changed = g.clone();
        changed.axes[0].1[0].push('X');
        changed.subset = None;
        prop_assert_ne!(spec_hash(&load(&yaml(&changed, 0)), seed_of(g.seed).as_ref()), base);
        if g.axes.len() >= 2 && g.pair.is_none() {
            // The same axes in another order: another product order, another spec.
            let plain = Gen { subset: None, ..g.clone() };
            let mut swapped = plain.clone();
            swapped.axes.swap(0, 1);
            prop_assert_ne!(spec_hash(&load(&yaml(&swapped, 0)), seed_of(g.seed).as_ref()), spec_hash(&load(&yaml(&plain, 0)), seed_of(g.seed).as_ref()));
        }
        prop_assert_ne!(spec_hash(&load(&yaml(&g, 0)), Some(&Seed::from(g.seed.unwrap_or(0).wrapping_add(1)))), base);
    }
}

/// The 32-bit words of `m`, least significant first, `[0]` for zero.
fn words_of(mut m: u128) -> Vec<u32> {
    let mut words = Vec::new();
    while m > 0 {
        words.push(m as u32);
        m >>= 32;
    }
    if words.is_empty() {
        words.push(0);
    }
    words
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    // docs/decisions.md D23: any integer is a seed; however it is written (sign, leading zeros),
    // its canonical text and its MT key are those of the number.
    #[test]
    fn seeds_of_any_size_parse_to_their_number(n in any::<i128>(), zeros in 0usize..4, plus in any::<bool>()) {
        let digits = format!("{}{}", "0".repeat(zeros), n.unsigned_abs());
        let sign = if n < 0 { "-" } else if plus { "+" } else { "" };
        let seed: Seed = format!("{sign}{digits}").parse().unwrap();
        prop_assert_eq!(seed.to_string(), n.to_string());
        prop_assert_eq!(seed.to_mt_key(), words_of(n.unsigned_abs()));
        prop_assert_eq!(seed.as_i64(), i64::try_from(n).ok());
        if let Ok(small) = i64::try_from(n) {
            prop_assert_eq!(seed, Seed::from(small));
        }
    }

    // A seed in output.seed is the same seed written as a YAML integer or as a quoted string:
    // the spec hash does not see the quoting (D12).
    #[test]
    fn a_quoted_output_seed_hashes_as_the_integer(n in any::<i128>()) {
        let spec = |seed: String| load(&format!("axes: {{a: [x]}}\noutput: {{field_order: [], seed: {seed}}}\n"));
        let plain = spec(n.to_string());
        let quoted = spec(format!("'{n}'"));
        prop_assert_eq!(plain.output_seed.clone(), Some(n.to_string().parse::<Seed>().unwrap()));
        prop_assert_eq!(
            spec_hash(&plain, plain.output_seed.as_ref()),
            spec_hash(&quoted, quoted.output_seed.as_ref())
        );
    }
}
