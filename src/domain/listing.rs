//! What every List method shares: page size rules, `order_by` parsing, the
//! keyset cursor and the signed, request-bound page token that carries it.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use super::filter::Filter;

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 1000;

/// 0 means the default; above the maximum is lowered; negative is refused.
pub fn page_size(requested: i32) -> Result<u64, String> {
    match u64::try_from(requested) {
        Err(_) => Err("must not be negative".into()),
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(size) => Ok(size.min(MAX_PAGE_SIZE)),
    }
}

/// The sort of a list: fields in priority order, one direction for all (so
/// the keyset predicate is a single row-value comparison the index serves).
/// The resource id always breaks ties, in the same direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    pub fields: Vec<&'static str>,
    pub descending: bool,
}

/// What a list can be ordered by, and its order when `order_by` is empty.
#[derive(Debug, Clone, Copy)]
pub struct Orderable {
    pub fields: &'static [&'static str],
    pub default_field: &'static str,
    pub default_descending: bool,
}

impl OrderBy {
    /// Parses `a, b desc` against the orderable fields; empty gives the
    /// list's default order.
    pub fn parse(text: &str, orderable: Orderable) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Ok(OrderBy {
                fields: vec![orderable.default_field],
                descending: orderable.default_descending,
            });
        }
        let orderable = orderable.fields;
        let mut fields = Vec::new();
        let mut direction = None;
        for part in text.split(',') {
            let words: Vec<&str> = part.split_whitespace().collect();
            let (field, descending) = match words.as_slice() {
                [field] => (*field, false),
                [field, dir] if dir.eq_ignore_ascii_case("desc") => (*field, true),
                [field, dir] if dir.eq_ignore_ascii_case("asc") => (*field, false),
                _ => {
                    return Err(format!(
                        "cannot read {:?}; expected `field [desc]`",
                        part.trim()
                    ));
                }
            };
            let Some(known) = orderable.iter().find(|f| **f == field) else {
                return Err(format!(
                    "cannot order by {field:?}; orderable fields: {}",
                    orderable.join(", ")
                ));
            };
            if fields.contains(known) {
                return Err(format!("{field:?} appears twice"));
            }
            if direction.is_some_and(|d| d != descending) {
                return Err("all fields must share one direction".into());
            }
            direction = Some(descending);
            fields.push(*known);
        }
        Ok(OrderBy {
            fields,
            descending: direction.unwrap_or(false),
        })
    }

    /// Canonical text, so `a,b` and `a , b asc` bind the same page tokens.
    pub fn canonical(&self) -> String {
        let dir = if self.descending { " desc" } else { "" };
        format!("{}{dir}", self.fields.join(","))
    }
}

/// One sort key value of the last row a page returned. Integers (and
/// timestamps, as microseconds) are tried before reals when a token is read
/// back, so each comes back as the variant it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyValue {
    Integer(i64),
    Real(f64),
    Text(String),
    /// An absent value (a nullable key): sorts after every value.
    Null,
}

/// Where the next page starts: after the row with these sort keys and id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "k")]
    pub keys: Vec<KeyValue>,
    #[serde(rename = "i")]
    pub id: Uuid,
}

/// A validated list request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Only the children of this parent; `None` lists the whole collection.
    pub parent: Option<Uuid>,
    pub filter: Option<Filter>,
    pub order: OrderBy,
    pub page_size: u64,
    pub after: Option<Cursor>,
    pub show_deleted: bool,
}

/// One page of a list and where the next one starts.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

/// Signs and checks page tokens. A token is bound to the request it was
/// issued for (collection, filter, order, show_deleted): the same token with
/// another filter fails the signature check instead of returning wrong rows.
#[derive(Clone)]
pub struct PageTokens {
    key: Vec<u8>,
}

impl std::fmt::Debug for PageTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageTokens(..)")
    }
}

const MAC_LEN: usize = 32;

impl PageTokens {
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        PageTokens { key: key.into() }
    }

    fn mac(&self, binding: &str, payload: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length; this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(binding.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        mac
    }

    pub fn encode(&self, cursor: &Cursor, binding: &str) -> String {
        // Serializing a struct of strings, integers and a UUID cannot fail.
        let payload = serde_json::to_vec(cursor).unwrap_or_default();
        let tag = self.mac(binding, &payload).finalize().into_bytes();
        let mut bytes = payload;
        bytes.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(&self, token: &str, binding: &str) -> Result<Cursor, String> {
        let invalid = || {
            "is not a page token issued for this request; it must come from a previous response with the same filter, order_by and show_deleted".to_owned()
        };
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        if bytes.len() <= MAC_LEN {
            return Err(invalid());
        }
        let (payload, tag) = bytes.split_at(bytes.len() - MAC_LEN);
        self.mac(binding, payload)
            .verify_slice(tag)
            .map_err(|_| invalid())?;
        serde_json::from_slice(payload).map_err(|_| invalid())
    }
}

/// What a page token is bound to.
pub fn binding(collection: &str, filter: &str, order: &OrderBy, show_deleted: bool) -> String {
    format!(
        "{collection}\u{1f}{}\u{1f}{}\u{1f}{show_deleted}",
        filter.trim(),
        order.canonical()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDERABLE: Orderable = Orderable {
        fields: &["display_name", "create_time", "tier"],
        default_field: "create_time",
        default_descending: true,
    };

    #[test]
    fn page_size_follows_the_api_rules() {
        assert_eq!(page_size(0), Ok(50));
        assert_eq!(page_size(7), Ok(7));
        assert_eq!(page_size(5000), Ok(1000));
        assert!(page_size(-1).is_err());
    }

    #[test]
    fn order_by_defaults_to_newest_first() {
        let order = OrderBy::parse(" ", ORDERABLE).unwrap();
        assert_eq!(order.fields, vec!["create_time"]);
        assert!(order.descending);
    }

    #[test]
    fn order_by_reads_fields_and_direction() {
        let order = OrderBy::parse("tier desc, display_name DESC", ORDERABLE).unwrap();
        assert_eq!(order.fields, vec!["tier", "display_name"]);
        assert!(order.descending);
        assert_eq!(order.canonical(), "tier,display_name desc");
    }

    #[test]
    fn order_by_refuses_unknown_fields_mixed_directions_and_repeats() {
        assert!(
            OrderBy::parse("colour", ORDERABLE)
                .unwrap_err()
                .contains("colour")
        );
        assert!(OrderBy::parse("tier desc, display_name", ORDERABLE).is_err());
        assert!(OrderBy::parse("tier, tier", ORDERABLE).is_err());
        assert!(OrderBy::parse("tier sideways", ORDERABLE).is_err());
    }

    #[test]
    fn a_page_token_round_trips_for_the_same_request_only() {
        let tokens = PageTokens::new(b"secret".to_vec());
        let cursor = Cursor {
            keys: vec![KeyValue::Text("Acme".into()), KeyValue::Integer(3)],
            id: Uuid::now_v7(),
        };
        let order = OrderBy::parse("display_name", ORDERABLE).unwrap();
        let bound = binding("customers", "tier = KEY", &order, false);
        let token = tokens.encode(&cursor, &bound);
        assert_eq!(tokens.decode(&token, &bound), Ok(cursor));
        let other = binding("customers", "tier = GENERAL", &order, false);
        assert!(tokens.decode(&token, &other).is_err());
        assert!(
            tokens
                .decode(&token, &binding("customers", "tier = KEY", &order, true))
                .is_err()
        );
    }

    #[test]
    fn a_tampered_or_foreign_token_is_refused() {
        let tokens = PageTokens::new(b"secret".to_vec());
        let order = OrderBy::parse("", ORDERABLE).unwrap();
        let bound = binding("customers", "", &order, false);
        let token = tokens.encode(
            &Cursor {
                keys: vec![KeyValue::Integer(1)],
                id: Uuid::nil(),
            },
            &bound,
        );
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[2] ^= 1;
        assert!(
            tokens
                .decode(&URL_SAFE_NO_PAD.encode(bytes), &bound)
                .is_err()
        );
        assert!(
            PageTokens::new(b"other".to_vec())
                .decode(&token, &bound)
                .is_err()
        );
        for garbage in ["", "!!", "abc", &"A".repeat(100)] {
            assert!(tokens.decode(garbage, &bound).is_err());
        }
    }
}
