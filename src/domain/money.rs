//! An amount of money in one currency, exact: whole units and billionths,
//! never floating point. The rules of its parts (code, nanos range, one sign)
//! live here; whether an amount may be negative is the resource's rule.

use serde::{Deserialize, Serialize};

use crate::error::Violations;

/// An exact amount: `units + nanos / 10^9` of the currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// ISO 4217 alphabetic code: three upper-case ASCII letters.
    pub currency_code: String,
    pub units: i64,
    /// -999,999,999 to 999,999,999, of the same sign as `units`.
    pub nanos: i32,
}

/// An amount as a caller sends it, unchecked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyInput {
    pub currency_code: String,
    pub units: i64,
    pub nanos: i32,
}

pub const NANOS_PER_UNIT: i32 = 1_000_000_000;

impl Money {
    /// Checks an amount, recording each problem under `field`'s parts.
    pub fn parse(v: &mut Violations, field: &str, input: &MoneyInput) -> Option<Money> {
        let code = v.check(
            &format!("{field}.currency_code"),
            check_currency_code(&input.currency_code),
        );
        let nanos_in_range = input.nanos.unsigned_abs() < NANOS_PER_UNIT.unsigned_abs();
        if !nanos_in_range {
            v.add(
                format!("{field}.nanos"),
                "must be from -999999999 to 999999999",
            );
        } else if (input.units > 0 && input.nanos < 0) || (input.units < 0 && input.nanos > 0) {
            v.add(
                format!("{field}.nanos"),
                "must have the sign of units (or be 0)",
            );
            return None;
        }
        Some(Money {
            currency_code: code?,
            units: input.units,
            nanos: nanos_in_range.then_some(input.nanos)?,
        })
    }

    pub fn input(&self) -> MoneyInput {
        MoneyInput {
            currency_code: self.currency_code.clone(),
            units: self.units,
            nanos: self.nanos,
        }
    }

    /// The amount in billionths of a unit: exact, and large enough that
    /// summing any number of stored amounts a list could hold cannot overflow.
    pub fn total_nanos(&self) -> i128 {
        i128::from(self.units) * i128::from(NANOS_PER_UNIT) + i128::from(self.nanos)
    }

    pub fn is_negative(&self) -> bool {
        self.units < 0 || self.nanos < 0
    }
}

/// Three upper-case ASCII letters, as ISO 4217 writes them (`CNY`, `EUR`).
pub fn check_currency_code(code: &str) -> Result<String, String> {
    if code.is_empty() {
        return Err("is required".into());
    }
    (code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()))
        .then(|| code.to_owned())
        .ok_or_else(|| "must be an ISO 4217 code of three upper-case letters, e.g. CNY".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(code: &str, units: i64, nanos: i32) -> (Option<Money>, Vec<String>) {
        let mut v = Violations::new();
        let input = MoneyInput {
            currency_code: code.into(),
            units,
            nanos,
        };
        let money = Money::parse(&mut v, "amount", &input);
        let fields = v.into_violations().into_iter().map(|f| f.field).collect();
        (money, fields)
    }

    #[test]
    fn amounts_keep_one_sign_and_nanos_below_one_unit() {
        assert!(parse("CNY", 12, 500_000_000).0.is_some());
        assert!(parse("CNY", -12, -500_000_000).0.is_some());
        assert!(parse("CNY", 0, -5).0.is_some());
        assert_eq!(parse("CNY", 1, -1).1, ["amount.nanos"]);
        assert_eq!(parse("CNY", 1, 1_000_000_000).1, ["amount.nanos"]);
        assert_eq!(parse("CNY", 0, -1_000_000_000).1, ["amount.nanos"]);
    }

    #[test]
    fn currency_codes_are_three_upper_case_letters() {
        for bad in ["", "cny", "CN", "CNYY", "C1Y", "ÄBC"] {
            assert_eq!(parse(bad, 1, 0).1, ["amount.currency_code"], "{bad:?}");
        }
    }

    #[test]
    fn totals_are_exact_in_nanos() {
        let (money, _) = parse("EUR", i64::MAX, 999_999_999);
        let total = money.unwrap().total_nanos();
        assert_eq!(total, i128::from(i64::MAX) * 1_000_000_000 + 999_999_999);
        assert!(parse("EUR", -1, 0).0.unwrap().is_negative());
        assert!(parse("EUR", 0, -1).0.unwrap().is_negative());
        assert!(!parse("EUR", 0, 0).0.unwrap().is_negative());
    }
}
