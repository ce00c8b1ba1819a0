//! A purchase as a caller writes it, and the rules that turn it into a
//! [`Purchase`]. Paths are relative to the purchase.

use super::*;

/// The writable fields of a purchase, unchecked, under their API names.
/// Product and amount are plain values, never absent, so an update along
/// `amount` or `product.sku` always finds both sides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PurchaseInput {
    pub product: ProductInput,
    pub quantity: i64,
    pub amount: MoneyInput,
    pub purchase_time: Option<TimeInput>,
    /// A channel's resource name, or empty.
    pub channel: String,
    pub reason: i32,
    pub kind: i32,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductInput {
    pub sku: String,
    pub name: String,
}

impl Purchase {
    /// Checks a purchase as of `now` (the purchase time must not be later).
    pub fn parse(p: PurchaseInput, now: Timestamp) -> Result<Purchase, Violations> {
        let mut v = Violations::new();
        let sku = required_text(&mut v, "product.sku", &p.product.sku, 100);
        let name = optional_text(&mut v, "product.name", &p.product.name, 200);
        let quantity = v.check("quantity", Purchase::check_quantity(p.quantity));
        let amount = Money::parse(&mut v, "amount", &p.amount);
        // Judged on the input, so a negative amount is named even when its
        // currency code is bad too; a sign mismatch is the nanos' problem.
        let (units, nanos) = (p.amount.units, p.amount.nanos);
        if units < 0 || (units == 0 && nanos < 0) {
            v.add(
                "amount",
                "must not be negative: record a return with kind RETURN and a positive amount",
            );
        }
        let purchase_time = time(&mut v, "purchase_time", p.purchase_time)
            .and_then(|t| v.check("purchase_time", Purchase::check_purchase_time(t, now)));
        let channel = match p.channel.trim() {
            "" => None,
            text => v.check(
                "channel",
                channel::COLLECTION.parse_name(text).map(|n| n.id),
            ),
        };
        let reason = optional_code(&mut v, "reason", p.reason);
        let kind = required_code(&mut v, "kind", p.kind);
        let labels = Labels::parse(&mut v, "labels", &p.labels);
        match (sku, quantity, amount, purchase_time, kind) {
            (Some(sku), Some(quantity), Some(amount), Some(purchase_time), Some(kind)) => v
                .finish_with(Purchase {
                    product: Product { sku, name },
                    quantity,
                    amount,
                    purchase_time,
                    channel,
                    reason,
                    kind,
                    labels,
                }),
            _ => Err(v),
        }
    }

    /// The writable fields as input, for an update to merge into.
    pub fn input(&self) -> PurchaseInput {
        PurchaseInput {
            product: ProductInput {
                sku: self.product.sku.clone(),
                name: self.product.name.clone(),
            },
            quantity: self.quantity,
            amount: self.amount.input(),
            purchase_time: Some(self.purchase_time.into()),
            channel: self.channel.map(channel_name).unwrap_or_default(),
            reason: code_of(self.reason),
            kind: self.kind.code(),
            labels: self.labels.to_map(),
        }
    }
}
