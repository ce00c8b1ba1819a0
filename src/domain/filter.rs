//! AIP-160 list filters: parses and type-checks filter text against a resource schema into a `Filter` tree; never builds SQL or touches storage.

use chrono::DateTime;
use std::fmt;

use super::resource::is_label_key;

/// Longest filter accepted, in bytes; checked before any parsing work.
const MAX_LEN: usize = 4096;
/// Deepest nesting of parentheses and NOT/`-` accepted. The parser recurses once per
/// level, so this cap is what keeps hostile input from exhausting the stack.
const MAX_DEPTH: usize = 32;
const ORDERED: &[Op] = &[Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge];
const EQUALITY: &[Op] = &[Op::Eq, Op::Ne];
/// Comparator spellings and their ops, two-character ones first so `<=` is not read as `<`.
const SYMBOLS: [&str; 7] = ["<=", ">=", "!=", "<", ">", "=", ":"];
const OPS: [Op; 7] = [Op::Le, Op::Ge, Op::Ne, Op::Lt, Op::Gt, Op::Eq, Op::Has];

/// The type of a filterable field, which decides which literals and operators it accepts.
#[derive(Debug, Clone, Copy)]
pub enum FieldType {
    /// Free text. Accepts quoted or bare string literals.
    Text,
    /// A closed set of names, each stored as an integer code; literal is a bare or quoted name, e.g. `tier = STRATEGIC`.
    Enum(&'static [(&'static str, i32)]),
    /// A 64-bit integer.
    Integer,
    /// true / false.
    Bool,
    /// A point in time; literal is an RFC 3339 string such as "2026-01-31T12:00:00Z" (quoted or bare). Stored as microseconds since the Unix epoch (UTC).
    Timestamp,
}

/// One filterable field of a resource.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub path: &'static str,
    pub ty: FieldType,
}

/// The fields a resource can be filtered by. `labels` (bool) says whether `labels.<key>` is accepted.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    pub fields: &'static [FieldSpec],
    pub labels: bool,
}

/// A parsed, validated filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// `field OP value` on a schema field. `field` is the schema's `path` (the &'static str from FieldSpec).
    Compare {
        field: &'static str,
        op: Op,
        value: Value,
    },
    /// `labels.key = "v"` (op Eq or Ne only, value is the label value)
    Label {
        key: String,
        op: Op,
        value: String,
    },
    /// `labels.key:*` or `labels:key` : the label key is present
    LabelPresent {
        key: String,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `:` on a Text field: case-insensitive substring match
    Has,
    /// `=` on a Text field whose literal ends with an unescaped `*`: prefix match (value holds the prefix without the `*`)
    Prefix,
}

/// A typed comparison value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Integer(i64),
    Bool(bool),
    Timestamp(i64),
    Enum(i32),
}

/// Why a filter was refused; `message` is short lowercase English for developers naming the offending field or position, e.g. `unknown field "colour"; filterable fields: display_name, tier, labels.<key>` or `expected a value after "=" at position 12` or `"tier" takes one of STRATEGIC, KEY, GENERAL, POTENTIAL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FilterError {}

/// Returns a `FilterError` whose message is formatted like `format!`.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err(FilterError { message: format!($($arg)*) })
    };
}

/// Parses `text` against `schema`. Empty or whitespace-only text gives Ok(None) (no filter).
pub fn parse(text: &str, schema: &Schema) -> Result<Option<Filter>, FilterError> {
    if text.len() > MAX_LEN {
        bail!("filter is {} bytes; the limit is {MAX_LEN}", text.len());
    }
    if text.trim().is_empty() {
        return Ok(None);
    }
    // Characters rather than bytes, so positions in messages count what a person sees
    // and indexing can never split a multi-byte character.
    let chars = text.chars().collect();
    let mut parser = Parser {
        chars,
        ..Parser::default()
    };
    let filter = parser.list(schema, "AND", Parser::sequence)?;
    // A sequence stops only at the end, AND (taken by `list`) or ")", so any
    // leftover is a ")" without its "(".
    parser.skip_ws();
    match parser.peek() {
        Some(c) => parser.fail_at(parser.pos, &format!("unexpected \"{c}\"")),
        None => Ok(Some(filter)),
    }
}

/// A value literal after unquoting. `wild` holds the byte offsets in `text` of stars that
/// were not backslash-escaped: those are wildcards, not text.
#[derive(Default)]
struct Literal {
    text: String,
    wild: Vec<usize>,
}

/// Recursive-descent parser over AIP-160's grammar:
/// expression = sequence {AND sequence}; sequence = factor {factor};
/// factor = term {OR term}; term = [NOT | -] (restriction | "(" expression ")").
/// OR sits below AND and the implicit AND of a sequence, so it binds tighter, as AIP-160 says.
/// `list` parses expression and factor; each "(" or negation costs one level of MAX_DEPTH.
#[derive(Default)]
struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

type Parsed = Result<Filter, FilterError>;

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// Fails with `what` followed by the 1-based character position of `pos`, or the end.
    fn fail_at<T>(&self, pos: usize, what: &str) -> Result<T, FilterError> {
        if pos >= self.chars.len() {
            bail!("{what} at the end of the filter");
        }
        bail!("{what} at position {}", pos + 1)
    }

    /// Whether ASCII `s` comes next; a `word` must also end there (so `ORDER = 1` is a field).
    fn next_is(&self, s: &str, word: bool) -> bool {
        let rest = self.chars.get(self.pos..).unwrap_or_default();
        let after = rest.get(s.len()).copied();
        rest.iter().copied().take(s.len()).eq(s.chars())
            && !(word && after.is_some_and(is_path_char))
    }

    /// Skips whitespace, which separates tokens everywhere this is called, then consumes `s`.
    fn eat(&mut self, s: &str, word: bool) -> bool {
        self.skip_ws();
        let found = self.next_is(s, word);
        self.pos += if found { s.len() } else { 0 };
        found
    }

    /// `inner {kw inner}` (expression or factor), joined as And for "AND" and Or for "OR".
    fn list(&mut self, s: &Schema, kw: &str, inner: fn(&mut Self, &Schema) -> Parsed) -> Parsed {
        let mut parts = vec![inner(self, s)?];
        while self.eat(kw, true) {
            parts.push(inner(self, s)?);
        }
        Ok(join(parts, kw == "AND"))
    }

    fn sequence(&mut self, s: &Schema) -> Parsed {
        let mut parts = vec![self.list(s, "OR", Self::term)?];
        // Terms side by side are an implicit AND; only the end, ")" or AND closes a sequence.
        loop {
            self.skip_ws();
            if matches!(self.peek(), None | Some(')')) || self.next_is("AND", true) {
                return Ok(join(parts, true));
            }
            parts.push(self.list(s, "OR", Self::term)?);
        }
    }

    fn term(&mut self, s: &Schema) -> Parsed {
        self.skip_ws();
        let open = self.pos;
        // A `-` here is always negation: field names cannot start with one, and a
        // negative number only ever appears after an operator, where `literal` reads it.
        let negated = self.eat("NOT", true) || self.eat("-", false);
        if !negated && !self.eat("(", false) {
            return self.restriction(s);
        }
        if self.depth == MAX_DEPTH {
            let deep = format!("filter nests deeper than {MAX_DEPTH} levels");
            return self.fail_at(open, &deep);
        }
        self.depth += 1;
        let inner = match negated {
            true => Filter::Not(Box::new(self.term(s)?)),
            false => self.list(s, "AND", Self::sequence)?,
        };
        self.depth -= 1;
        // A parenthesised sequence stopped at ")" or the end; the end means it was never closed.
        match negated || self.eat(")", false) {
            true => Ok(inner),
            false => self.fail_at(open, "unclosed \"(\""),
        }
    }

    fn restriction(&mut self, s: &Schema) -> Parsed {
        let start = self.pos;
        let expected = "expected a comparison such as field = value";
        let field_start = |c: char| c.is_ascii_alphabetic() || c == '_';
        if !self.peek().is_some_and(field_start) {
            return self.fail_at(start, expected);
        }
        while self.peek().is_some_and(is_path_char) {
            self.pos += 1;
        }
        let path: String = self.chars[start..self.pos].iter().collect();
        let Some(i) = SYMBOLS.iter().position(|sym| self.eat(sym, false)) else {
            // A lower-case keyword lexes as a field name; say why it was not taken as a keyword.
            let keyword = ["and", "or", "not"].contains(&path.as_str());
            let hint = keyword.then_some(" (AND, OR and NOT are upper-case)");
            return self.fail_at(start, &format!("{expected}{}", hint.unwrap_or_default()));
        };
        self.skip_ws();
        let lit = self.literal(SYMBOLS[i])?;
        // Refuse `a = "x"b` rather than guess where one term ends and the next begins.
        if let Some(c) = self.peek().filter(|&c| !c.is_whitespace() && c != ')') {
            return self.fail_at(self.pos, &format!("unexpected \"{c}\""));
        }
        resolve(s, &path, OPS[i], lit)
    }

    /// Reads the value after operator `after`: a quoted string or a bare word. Bare words
    /// take `-`, `.`, `:`, `+` so that `-5` and `2026-01-01T00:00:00+08:00` stay one token.
    fn literal(&mut self, after: &str) -> Result<Literal, FilterError> {
        const BAD_ESCAPE: &str = "unknown escape (use \\\", \\\\ or \\*)";
        let start = self.pos;
        let mut lit = Literal::default();
        let quoted = self.eat("\"", false);
        while let Some(mut c) = self.peek() {
            let bare = c.is_alphanumeric() || "_-.:+*".contains(c);
            if !quoted && !bare {
                break;
            }
            self.pos += 1;
            match c {
                '"' if quoted => return Ok(lit),
                '\\' if quoted => match self.peek() {
                    Some(e @ ('"' | '\\' | '*')) => (c, self.pos) = (e, self.pos + 1),
                    _ => return self.fail_at(self.pos - 1, BAD_ESCAPE),
                },
                '*' => lit.wild.push(lit.text.len()),
                _ => {}
            }
            lit.text.push(c);
        }
        if quoted {
            return self.fail_at(start, "unterminated string starting");
        }
        // A bare keyword is almost surely a missing value (`a = AND b = 1`); quote it to mean it.
        if lit.text.is_empty() || ["AND", "OR", "NOT"].contains(&lit.text.as_str()) {
            return self.fail_at(start, &format!("expected a value after \"{after}\""));
        }
        Ok(lit)
    }
}

/// Characters of a field path. `-` is included so label keys like `labels.cost-center` lex
/// as one path; a schema field never contains one, so it only ever reaches the key check.
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Builds an And (`and`) or Or from `parts`, absorbing children of the same kind and
/// unwrapping a single part, so equivalent filters give equal, shallow trees.
fn join(parts: Vec<Filter>, and: bool) -> Filter {
    let mut flat = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            Filter::And(inner) if and => flat.extend(inner),
            Filter::Or(inner) if !and => flat.extend(inner),
            other => flat.push(other),
        }
    }
    match flat.len() {
        1 => flat.remove(0),
        _ if and => Filter::And(flat),
        _ => Filter::Or(flat),
    }
}

/// Checks a comparison against the schema: a declared field first, then labels.
fn resolve(schema: &Schema, path: &str, op: Op, lit: Literal) -> Parsed {
    if let Some(spec) = schema.fields.iter().find(|f| f.path == path) {
        return compare(spec, op, lit);
    }
    if schema.labels && path == "labels" {
        if op != Op::Has {
            bail!("\"labels\" takes \":\" and a key, e.g. labels:vip");
        }
        check_label_key(&lit.text)?;
        return Ok(Filter::LabelPresent { key: lit.text });
    }
    if let Some(key) = path.strip_prefix("labels.").filter(|_| schema.labels) {
        check_label_key(key)?;
        let (key, value) = (key.to_string(), lit.text);
        match op {
            Op::Has if value == "*" && !lit.wild.is_empty() => Ok(Filter::LabelPresent { key }),
            // Label values have no prefix match, so a star must be escaped to be meant.
            Op::Eq | Op::Ne if lit.wild.is_empty() => Ok(Filter::Label { key, op, value }),
            Op::Eq | Op::Ne => bail!("\"{path}\" does not support \"*\"; write \\* for a star"),
            _ => bail!("\"{path}\" takes = or != with a value, or :* to test presence"),
        }
    } else {
        let mut names: Vec<&str> = schema.fields.iter().map(|f| f.path).collect();
        names.extend(schema.labels.then_some("labels.<key>"));
        let list = names.join(", ");
        bail!("unknown field \"{path}\"; filterable fields: {list}")
    }
}

/// Types the literal of a comparison on a declared field.
fn compare(spec: &FieldSpec, op: Op, lit: Literal) -> Parsed {
    let (field, text) = (spec.path, lit.text.as_str());
    // Text takes every comparator; enums and booleans have no order to compare by.
    let ops: &[Op] = match spec.ty {
        FieldType::Text => &OPS,
        FieldType::Enum(_) | FieldType::Bool => EQUALITY,
        FieldType::Integer | FieldType::Timestamp => ORDERED,
    };
    let to_symbol = |op: &Op| OPS.iter().position(|o| o == op).map_or("", |i| SYMBOLS[i]);
    if !ops.contains(&op) {
        let list: Vec<&str> = ops.iter().map(to_symbol).collect();
        let (symbol, list) = (to_symbol(&op), list.join(" "));
        bail!("\"{field}\" does not support \"{symbol}\"; use one of {list}");
    }
    let value = match spec.ty {
        FieldType::Text => {
            // Only a single trailing star after `=` means something (a prefix match).
            let prefix = op == Op::Eq && lit.wild == [text.len().wrapping_sub(1)];
            if !prefix && !lit.wild.is_empty() {
                bail!("\"{field}\" allows \"*\" only at the end after \"=\"; write \\* for a star");
            }
            let op = if prefix { Op::Prefix } else { op };
            let value = Value::Text(text[..text.len() - usize::from(prefix)].to_string());
            return Ok(Filter::Compare { field, op, value });
        }
        FieldType::Enum(names) => names.iter().find(|n| n.0 == text).map(|n| Value::Enum(n.1)),
        FieldType::Integer => text.parse().ok().map(Value::Integer),
        FieldType::Bool => text.parse().ok().map(Value::Bool),
        FieldType::Timestamp => {
            let time = DateTime::parse_from_rfc3339(text).ok();
            time.map(|t| Value::Timestamp(t.timestamp_micros()))
        }
    };
    if let Some(value) = value {
        return Ok(Filter::Compare { field, op, value });
    }
    match spec.ty {
        FieldType::Enum(names) => {
            let list: Vec<&str> = names.iter().map(|n| n.0).collect();
            bail!("\"{field}\" takes one of {}", list.join(", "))
        }
        FieldType::Integer => bail!("\"{field}\" takes a 64-bit integer"),
        FieldType::Bool => bail!("\"{field}\" takes true or false"),
        _ => bail!("\"{field}\" takes an RFC 3339 time such as 2026-01-31T12:00:00Z"),
    }
}

/// Label keys follow the stored-key rule, so `labels.<key>` accepts exactly
/// the keys that can exist.
fn check_label_key(key: &str) -> Result<(), FilterError> {
    if !is_label_key(key) {
        bail!("invalid label key {key:?}: use 1-63 of a-z, 0-9, _ and -, starting with a letter");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Op::*;
    use super::*;

    const TIERS: &[(&str, i32)] = &[("A", 1), ("B", 2), ("C", 3)];
    const FIELDS: &[FieldSpec] = &[
        spec("name", FieldType::Text),
        spec("tier", FieldType::Enum(TIERS)),
        spec("size", FieldType::Integer),
        spec("live", FieldType::Bool),
        spec("time", FieldType::Timestamp),
        spec("geo.cc", FieldType::Text),
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
        ]);
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
        let all = "name, tier, size, live, time, geo.cc, labels.<key>";
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
}
