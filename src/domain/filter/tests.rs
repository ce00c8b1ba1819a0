//! The filter grammar and typing, checked on a small made-up schema.

use super::Op::*;
use super::grammar::{OPS, SYMBOLS};
use super::typing::ORDERED;
use super::*;

const TIERS: &[(&str, i32)] = &[("A", 1), ("B", 2), ("C", 3)];
const FIELDS: &[FieldSpec] = &[
    spec("name", FieldType::Text),
    spec("tier", FieldType::Enum(TIERS)),
    spec("size", FieldType::Integer),
    spec("live", FieldType::Bool),
    spec("time", FieldType::Timestamp),
    spec("geo.cc", FieldType::Text),
    spec("level", FieldType::Ranked(TIERS)),
];
const S: Schema = schema(FIELDS, true);
/// 2026-01-01T00:00:00Z: 56 years of which 14 leap = 20454 days of 86400 s.
const NEW_YEAR: i64 = 1_767_225_600_000_000;

const fn spec(path: &'static str, ty: FieldType) -> FieldSpec {
    FieldSpec { path, ty }
}

const fn schema(fields: &'static [FieldSpec], labels: bool) -> Schema {
    Schema { fields, labels }
}

fn ok(text: &str) -> Filter {
    match parse(text, &S) {
        Ok(Some(f)) => f,
        other => panic!("{text:?} gave {other:?}"),
    }
}

fn err(text: &str) -> String {
    match parse(text, &S) {
        Err(e) => e.message,
        other => panic!("{text:?} should fail but gave {other:?}"),
    }
}

fn expect(cases: &[(&str, Filter)]) {
    for (text, want) in cases {
        assert_eq!(&ok(text), want, "{text:?}");
    }
}

/// Each input must fail with a message containing its fragment.
fn refuse(cases: &[(&str, &str)]) {
    for (text, fragment) in cases {
        let message = err(text);
        assert!(message.contains(fragment), "{text:?} gave {message:?}");
    }
}

fn cmp(field: &'static str, op: Op, value: Value) -> Filter {
    Filter::Compare { field, op, value }
}

fn name(op: Op, s: &str) -> Filter {
    cmp("name", op, Value::Text(s.to_string()))
}

fn size(op: Op, n: i64) -> Filter {
    cmp("size", op, Value::Integer(n))
}

fn time(op: Op, micros: i64) -> Filter {
    cmp("time", op, Value::Timestamp(micros))
}

fn tier(code: i32) -> Filter {
    cmp("tier", Eq, Value::Enum(code))
}

fn not(f: Filter) -> Filter {
    Filter::Not(Box::new(f))
}

fn all<const N: usize>(parts: [Filter; N]) -> Filter {
    Filter::And(parts.into())
}

fn any<const N: usize>(parts: [Filter; N]) -> Filter {
    Filter::Or(parts.into())
}

#[test]
fn every_comparator_parses_with_or_without_spaces_and_blank_text_is_no_filter() {
    assert_eq!(parse("", &S), Ok(None));
    assert_eq!(parse(" \t\n\u{3000}", &S), Ok(None));
    for (sym, op) in SYMBOLS.into_iter().zip(OPS) {
        assert_eq!(ok(&format!("name {sym} acme")), name(op, "acme"));
        assert_eq!(ok(&format!("name{sym}\"acme\"")), name(op, "acme"));
        if ORDERED.contains(&op) {
            assert_eq!(ok(&format!("size{sym}42")), size(op, 42));
            let text = format!("time {sym} 2026-01-01T00:00:00Z");
            assert_eq!(ok(&text), time(op, NEW_YEAR));
        }
    }
}

#[test]
fn text_unescapes_quotes_and_a_trailing_unescaped_star_means_prefix() {
    let cc = cmp("geo.cc", Prefix, Value::Text("D".into()));
    expect(&[
        ("name = acme*", name(Prefix, "acme")),
        ("name = \"acme co*\"", name(Prefix, "acme co")),
        ("name = \"acme\\*\"", name(Eq, "acme*")),
        ("name = *", name(Prefix, "")),
        ("geo.cc = D*", cc),
        (r#"name = "say \"hi\" \\ \*""#, name(Eq, r#"say "hi" \ *"#)),
        ("name = \"\"", name(Eq, "")),
        ("name = \"AND (x) OR\"", name(Eq, "AND (x) OR")),
        ("name = Zürich", name(Eq, "Zürich")),
    ]);
}

#[test]
fn enum_integer_and_bool_fields_take_their_literals() {
    expect(&[
        ("tier = A", tier(1)),
        ("tier=\"C\"", tier(3)),
        ("tier != B", cmp("tier", Ne, Value::Enum(2))),
        ("size = \"7\"", size(Eq, 7)),
        ("size > -5", size(Gt, -5)),
        ("size>-9223372036854775808", size(Gt, i64::MIN)),
        ("live = true", cmp("live", Eq, Value::Bool(true))),
        ("live != \"false\"", cmp("live", Ne, Value::Bool(false))),
        // A ranked set is ordered by its codes.
        ("level >= B", cmp("level", Ge, Value::Enum(2))),
        ("level < C", cmp("level", Lt, Value::Enum(3))),
    ]);
    assert_eq!(err("level > D"), "\"level\" takes one of A, B, C");
}

#[test]
fn timestamps_become_utc_microseconds() {
    expect(&[
        ("time = \"2026-01-01T08:00:00+08:00\"", time(Eq, NEW_YEAR)),
        ("time = 2025-12-31T16:00:00-08:00", time(Eq, NEW_YEAR)),
        ("time>2026-01-01T00:00:00.000001Z", time(Gt, NEW_YEAR + 1)),
        ("time < 1970-01-01T00:00:00Z", time(Lt, 0)),
        ("time < 1969-12-31T23:59:59Z", time(Lt, -1_000_000)),
    ]);
}

#[test]
fn each_type_refuses_literals_and_operators_it_cannot_take() {
    let tiers = "\"tier\" takes one of A, B, C";
    assert_eq!(err("tier = GOLD"), tiers);
    let unordered = "\"tier\" does not support \"<\"; use one of = !=";
    assert_eq!(err("tier < B"), unordered);
    let int = "\"size\" takes a 64-bit integer";
    let time = "\"time\" takes an RFC 3339";
    let star = "\"name\" allows \"*\" only at the end";
    refuse(&[
        ("tier = b", tiers),
        ("tier : B", "\"tier\" does not support \":\""),
        ("size = many", int),
        ("size = 9223372036854775808", int),
        ("size = 1.5", int),
        ("size : 1", "\"size\" does not support \":\""),
        ("live = TRUE", "\"live\" takes true or false"),
        ("live > false", "\"live\" does not support \">\""),
        ("time > 2026-01-01", time),
        ("time > 2026-13-01T00:00:00Z", time),
        ("time : 2026-01-01T00:00:00Z", "does not support \":\""),
        ("name = a*b", star),
        ("name = *a*", star),
        ("name != a*", star),
        ("name : a*", star),
        ("name >= a*", star),
    ]);
}

#[test]
fn or_binds_tighter_than_and_and_the_implicit_and() {
    let b_or_c = || any([tier(2), tier(3)]);
    expect(&[
        ("tier=A AND tier=B OR tier=C", all([tier(1), b_or_c()])),
        ("tier=A tier=B OR tier=C", all([tier(1), b_or_c()])),
        ("tier=B OR tier=C AND tier=A", all([b_or_c(), tier(1)])),
        ("tier = A size = 1", all([tier(1), size(Eq, 1)])),
    ]);
    let a_or_b = any([tier(1), tier(2)]);
    assert_eq!(ok("tier=A OR tier=B tier=C"), all([a_or_b, tier(3)]));
}

#[test]
fn parentheses_group_and_same_kind_groups_are_flattened() {
    let a_and_b = all([tier(1), tier(2)]);
    expect(&[
        ("(tier=A AND tier=B) OR tier=C", any([a_and_b, tier(3)])),
        ("((( tier = B )))", tier(2)),
    ]);
    let four = all([tier(1), tier(2), tier(3), size(Eq, 1)]);
    assert_eq!(ok("tier=A (tier=B AND tier=C) size=1"), four);
    let three = any([tier(1), tier(2), tier(3)]);
    assert_eq!(ok("tier=A OR (tier=B OR (tier=C))"), three);
}

#[test]
fn not_and_minus_negate_the_next_term_only() {
    expect(&[
        ("NOT tier = B", not(tier(2))),
        ("-tier = B", not(tier(2))),
        ("NOT(tier=B OR tier=C)", not(any([tier(2), tier(3)]))),
        ("NOT NOT tier = B", not(not(tier(2)))),
        ("NOT tier=B OR tier=C", any([not(tier(2)), tier(3)])),
        ("tier=B -size=-3", all([tier(2), not(size(Eq, -3))])),
    ]);
}

#[test]
fn labels_compare_values_and_test_presence() {
    let label = |op, value: &str| {
        let (key, value) = ("vip".to_string(), value.to_string());
        Filter::Label { key, op, value }
    };
    let present = |key: &str| Filter::LabelPresent { key: key.into() };
    let long = "a".repeat(63);
    expect(&[
        ("labels.vip = \"yes\"", label(Eq, "yes")),
        ("labels.vip != no", label(Ne, "no")),
        ("labels.vip = \"a\\*\"", label(Eq, "a*")),
        ("labels.vip:*", present("vip")),
        ("labels:vip", present("vip")),
        ("labels : \"cost-center_2\"", present("cost-center_2")),
        ("labels.cost-center:*", present("cost-center")),
        (&format!("labels.{long}:*"), present(&long)),
    ]);
}

#[test]
fn bad_label_keys_and_operators_are_refused() {
    let bad = "invalid label key";
    refuse(&[
        ("labels.VIP = x", "invalid label key \"VIP\""),
        ("labels.9a = x", bad),
        ("labels:\"a.b\"", bad),
        ("labels.a.b = x", bad),
        ("labels:*", bad),
        ("labels. = x", bad),
        (&format!("labels.{} = x", "a".repeat(64)), bad),
        ("labels.vip < x", "\"labels.vip\" takes = or !="),
        ("labels.vip : yes", "\"labels.vip\" takes = or !="),
        ("labels.vip = ye*", "\"labels.vip\" does not support \"*\""),
        ("labels = vip", "\"labels\" takes \":\" and a key"),
    ]);
}

#[test]
fn unknown_fields_are_refused_with_the_filterable_list() {
    let all = "name, tier, size, live, time, geo.cc, level, labels.<key>";
    let want = format!("unknown field \"colour\"; filterable fields: {all}");
    assert_eq!(err("colour = red"), want);
    let e = parse("labels.vip = x", &schema(FIELDS.split_at(2).0, false)).unwrap_err();
    let want = "unknown field \"labels.vip\"; filterable fields: name, tier";
    assert_eq!(e.to_string(), want);
}

#[test]
fn a_value_without_an_operator_is_refused() {
    let want = "expected a comparison such as field = value at position";
    for text in ["acme", "\"acme corp\"", "42", "name", "ñ = 1", "*"] {
        assert_eq!(err(text), format!("{want} 1"));
    }
    assert_eq!(err("tier = B acme"), format!("{want} 10"));
}

#[test]
fn malformed_syntax_is_refused_naming_the_position() {
    refuse(&[
        ("tier = A and tier = B", "(AND, OR and NOT are upper-case)"),
        ("ORDER = 1", "unknown field \"ORDER\""),
        ("name = AND tier = B", "value after \"=\" at position 8"),
        ("tier = ", "value after \"=\" at the end of the filter"),
        ("tier = )", "expected a value after \"=\" at position 8"),
        ("tier == B", "expected a value after \"=\" at position 7"),
        ("tier = B)", "unexpected \")\" at position 9"),
        ("(tier = B", "unclosed \"(\" at position 1"),
        ("name = \"abc", "unterminated string starting at position 8"),
        ("name = \"a\\nb\"", "or \\*) at position 10"),
        ("name = \"a\"b", "unexpected \"b\" at position 11"),
        ("tier = B AND", "field = value at the end of the filter"),
        ("tier ! B", "such as field = value at position 1"),
        ("()", "such as field = value at position 2"),
    ]);
}

#[test]
fn nesting_is_capped_at_32_levels() {
    let nested = |n: usize| format!("{}tier = B{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(ok(&nested(32)), tier(2));
    let want = "filter nests deeper than 32 levels at position 33";
    assert_eq!(err(&nested(33)), want);
    assert!(parse(&format!("{}tier = B", "NOT ".repeat(32)), &S).is_ok());
    assert!(err(&format!("{}tier = B", "-".repeat(33))).starts_with("filter nests deeper"));
    // Far past the cap, within the length limit: refused, not a stack overflow.
    for deep in ["(".repeat(4096), "-".repeat(4096), "NOT ".repeat(1024)] {
        assert!(err(&deep).starts_with("filter nests deeper"));
    }
}

#[test]
fn input_is_capped_at_4096_bytes() {
    let text = format!("name = \"{}\"", "é".repeat(2043));
    assert_eq!(text.len(), 4095);
    assert!(parse(&text, &S).is_ok());
    let want = "filter is 4097 bytes; the limit is 4096";
    assert_eq!(err(&format!("{text}  ")), want);
    assert!(parse(&" ".repeat(5000), &S).is_err());
}

#[test]
fn garbage_input_is_refused_without_panicking() {
    let short = [
        "(", ")", "\"", "=", "!= 3", ":", "-", "NOT", "AND", "OR", "tier <", "labels:", "\\",
        "labels.", "\u{0}", "- -", "(-)", "( )", "tier=B(",
    ];
    let long = [
        "OR tier = B",
        "((tier=B)",
        "tier = \"",
        "tier=B AND AND tier=B",
        "name = 😀*😀",
        "日本 = 語",
        "name = \"\\*",
        "labels.vip:**",
        "time > 99999-01-01T00:00:00Z",
        "name = a\u{0}",
    ];
    for text in short.into_iter().chain(long) {
        assert!(parse(text, &S).is_err(), "{text:?}");
    }
}

/// And/Or always have two or more children and never a child of their own kind.
fn is_flat(f: &Filter) -> bool {
    let (parts, and) = match f {
        Filter::And(parts) => (parts, true),
        Filter::Or(parts) => (parts, false),
        Filter::Not(inner) => return is_flat(inner),
        _ => return true,
    };
    let same = |c: &Filter| matches!((c, and), (Filter::And(_), true) | (Filter::Or(_), false));
    parts.len() > 1 && parts.iter().all(|c| !same(c) && is_flat(c))
}

#[test]
fn mutated_and_truncated_filters_never_panic() {
    let seeds = [
        "(tier = B OR tier = \"C\") AND NOT name = \"a\\\"b*\" -live = true",
        "time >= 2026-01-01T00:00:00+08:00 size < -5 labels.vip:* labels:\"k\" geo.cc:x",
    ];
    let alphabet: Vec<char> = "()\"\\*-:=!<> .ANDORNOTabz09_é😀\t\u{0}".chars().collect();
    // A fixed-seed linear congruential generator: deterministic, so failures reproduce.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = |bound: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        ((state >> 33) % bound as u64) as usize
    };
    let check = |chars: &[char]| {
        let text: String = chars.iter().collect();
        if let Ok(Some(f)) = parse(&text, &S) {
            assert!(is_flat(&f), "{text:?} gave {f:?}");
        }
    };
    for seed in seeds {
        let chars: Vec<char> = seed.chars().collect();
        for i in 0..chars.len() {
            check(&chars[..i]);
            check(&chars[i..]);
            check(&[&chars[..i], &chars[i + 1..]].concat());
        }
    }
    for _ in 0..5000 {
        let mut chars: Vec<char> = seeds[next(seeds.len())].chars().collect();
        for _ in 0..=next(6) {
            let i = next(chars.len() + 1);
            match next(4) {
                0 => chars.insert(i, alphabet[next(alphabet.len())]),
                1 => chars.truncate(i),
                2 => drop(chars.drain(i..(i + 3).min(chars.len()))),
                _ => {
                    let copy: Vec<char> = chars[i..].iter().take(8).copied().collect();
                    chars.splice(i..i, copy);
                }
            }
        }
        check(&chars);
    }
}

#[test]
fn exact_text_takes_equality_only_and_no_stars() {
    const NAMES: Schema = schema(&[spec("channel", FieldType::Exact)], false);
    let parsed = parse(r#"channel = "channels/x""#, &NAMES).unwrap();
    assert_eq!(
        parsed,
        Some(Filter::Compare {
            field: "channel",
            op: Eq,
            value: Value::Text("channels/x".into())
        })
    );
    assert!(parse(r#"channel != "channels/x""#, &NAMES).is_ok());
    for bad in [
        r#"channel : "x""#,
        r#"channel < "x""#,
        r#"channel = "chan*""#,
    ] {
        assert!(parse(bad, &NAMES).is_err(), "{bad} was accepted");
    }
}
