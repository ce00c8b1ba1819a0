//! The grammar of AIP-160 filters: a recursive-descent parser over the
//! characters of the text, handing each comparison to `typing`.

use super::typing::resolve;
use super::{Filter, FilterError, Op, Schema};

/// Deepest nesting of parentheses and NOT/`-` accepted. The parser recurses once per
/// level, so this cap is what keeps hostile input from exhausting the stack.
const MAX_DEPTH: usize = 32;
/// Comparator spellings and their ops, two-character ones first so `<=` is not read as `<`.
pub(super) const SYMBOLS: [&str; 7] = ["<=", ">=", "!=", "<", ">", "=", ":"];
pub(super) const OPS: [Op; 7] = [Op::Le, Op::Ge, Op::Ne, Op::Lt, Op::Gt, Op::Eq, Op::Has];

/// Parses non-blank `text` into a tree checked against `schema`.
pub(super) fn parse_text(text: &str, schema: &Schema) -> Result<Filter, FilterError> {
    // Characters rather than bytes, so positions in messages count what a person sees
    // and indexing can never split a multi-byte character.
    let mut parser = Parser {
        chars: text.chars().collect(),
        ..Parser::default()
    };
    let filter = parser.list(schema, "AND", Parser::sequence)?;
    // A sequence stops only at the end, AND (taken by `list`) or ")", so any
    // leftover is a ")" without its "(".
    parser.skip_ws();
    match parser.peek() {
        Some(c) => parser.fail_at(parser.pos, &format!("unexpected \"{c}\"")),
        None => Ok(filter),
    }
}

/// A value literal after unquoting. `wild` holds the byte offsets in `text` of stars that
/// were not backslash-escaped: those are wildcards, not text.
#[derive(Default)]
pub(super) struct Literal {
    pub(super) text: String,
    pub(super) wild: Vec<usize>,
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

pub(super) type Parsed = Result<Filter, FilterError>;

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
