//! The customer card (DOMAIN.md section 1): segments, geography,
//! demographics, behaviour, contact points with consent, and the fields a
//! customer list can be filtered and ordered by.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ClosedEnum;
use super::event::FieldChanges;
use super::filter::{FieldSpec, FieldType, Schema};
use super::input::{
    TimeInput, code_of, optional_code, optional_text, required_code, required_text, time,
};
use super::listing::Orderable;
use super::resource::{Collection, Labels, ResourceBody, Timestamp};
use crate::error::Violations;

mod input;
pub mod lifecycle;
pub mod summary;

pub use input::{
    BehaviourInput, ConsentInput, ContactPointInput, CustomerInput, DemographicsInput,
    GeographyInput,
};

pub const COLLECTION: Collection = Collection {
    plural: "customers",
    singular: "customer",
    parent: None,
};

closed_enum!(CustomerKind { Individual = 1 => "INDIVIDUAL", Organisation = 2 => "ORGANISATION" });
closed_enum!(Relationship { Direct = 1 => "DIRECT", Intermediate = 2 => "INTERMEDIATE", End = 3 => "END" });
closed_enum!(Tier { Strategic = 1 => "STRATEGIC", Key = 2 => "KEY", General = 3 => "GENERAL", Potential = 4 => "POTENTIAL" });
closed_enum!(ValueGrade { A = 1 => "A", B = 2 => "B", C = 3 => "C" });
closed_enum!(LifecycleStage {
    Prospect = 1 => "PROSPECT", Active = 2 => "ACTIVE", Loyal = 3 => "LOYAL",
    AtRisk = 4 => "AT_RISK", Lost = 5 => "LOST", WonBack = 6 => "WON_BACK",
});
closed_enum!(AttitudeType {
    Advocate = 1 => "ADVOCATE", Sceptic = 2 => "SCEPTIC",
    EconomyDriven = 3 => "ECONOMY_DRIVEN", LockedIn = 4 => "LOCKED_IN",
});
closed_enum!(CitySize { Rural = 1 => "RURAL", Small = 2 => "SMALL", Medium = 3 => "MEDIUM", Large = 4 => "LARGE", Mega = 5 => "MEGA" });
closed_enum!(Gender { Female = 1 => "FEMALE", Male = 2 => "MALE", Other = 3 => "OTHER", Undisclosed = 4 => "UNDISCLOSED" });
closed_enum!(UsageRate { Never = 1 => "NEVER", Occasional = 2 => "OCCASIONAL", Frequent = 3 => "FREQUENT" });
closed_enum!(UserStatus {
    NonUser = 1 => "NON_USER", Former = 2 => "FORMER", PotentialUser = 3 => "POTENTIAL_USER",
    FirstTime = 4 => "FIRST_TIME", Regular = 5 => "REGULAR",
});
closed_enum!(Loyalty { NoLoyalty = 1 => "NONE", Medium = 2 => "MEDIUM", Strong = 3 => "STRONG", Absolute = 4 => "ABSOLUTE" });
closed_enum!(ProductAttitude {
    Enthusiastic = 1 => "ENTHUSIASTIC", Positive = 2 => "POSITIVE", Indifferent = 3 => "INDIFFERENT",
    Negative = 4 => "NEGATIVE", Hostile = 5 => "HOSTILE",
});
closed_enum!(Benefit { Quality = 1 => "QUALITY", Service = 2 => "SERVICE", Economy = 3 => "ECONOMY" });
closed_enum!(ContactType {
    Phone = 1 => "PHONE", Mobile = 2 => "MOBILE", Email = 3 => "EMAIL",
    PostalAddress = 4 => "POSTAL_ADDRESS", Fax = 5 => "FAX", Messaging = 6 => "MESSAGING",
});
closed_enum!(ConsentStatus { Granted = 1 => "GRANTED", Denied = 2 => "DENIED" });

/// A customer card. Optional segments are `None` when not recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub display_name: String,
    pub kind: CustomerKind,
    pub relationship: Option<Relationship>,
    pub tier: Option<Tier>,
    /// Set by ABC grading only, never by a caller.
    pub value_grade: Option<ValueGrade>,
    /// Derived from purchases (`lifecycle`), never by a caller: set at each
    /// purchase change and by the daily lifecycle pass.
    pub lifecycle_stage: Option<LifecycleStage>,
    pub attitude_type: Option<AttitudeType>,
    pub geography: Geography,
    pub demographics: Demographics,
    pub behaviour: Behaviour,
    pub contact_points: Vec<ContactPoint>,
    /// The customer asked not to be contacted at all: overrides every consent.
    pub do_not_contact: bool,
    pub labels: Labels,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Geography {
    /// ISO 3166-1 alpha-2, upper case, or empty.
    pub country: String,
    pub province: String,
    pub city: String,
    pub sales_region: String,
    pub city_size: Option<CitySize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Demographics {
    pub age_band: String,
    pub gender: Option<Gender>,
    pub income_band: String,
    pub occupation: String,
    pub education: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Behaviour {
    pub usage_rate: Option<UsageRate>,
    pub user_status: Option<UserStatus>,
    pub loyalty: Option<Loyalty>,
    pub product_attitude: Option<ProductAttitude>,
    pub benefit_sought: Option<Benefit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPoint {
    pub kind: ContactType,
    pub value: String,
    pub preferred: bool,
    pub verified: bool,
    pub service_consent: Consent,
    pub marketing_consent: Consent,
}

/// A permission: never asked, or answered at a time through a source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Consent {
    NotAsked,
    Answered {
        status: ConsentStatus,
        record_time: Timestamp,
        source: String,
    },
}

impl ContactPoint {
    pub const MAX_VALUE_CHARS: usize = 500;

    /// Checks the value against the type: an email needs exactly one `@` with
    /// text on both sides; numbers need at least one digit.
    pub fn check_value(kind: ContactType, value: &str) -> Result<(), String> {
        match kind {
            ContactType::Email => {
                let parts: Vec<&str> = value.split('@').collect();
                let well_formed = parts.len() == 2
                    && !parts[0].is_empty()
                    && !parts[1].is_empty()
                    && !value.contains(char::is_whitespace);
                well_formed
                    .then_some(())
                    .ok_or_else(|| "must be an email address such as name@example.com".into())
            }
            ContactType::Phone | ContactType::Mobile | ContactType::Fax => value
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
                .then_some(())
                .filter(|()| value.chars().any(|c| c.is_ascii_digit()))
                .ok_or_else(|| "must be a phone number: digits, spaces and + - ( ) . only".into()),
            ContactType::PostalAddress | ContactType::Messaging => Ok(()),
        }
    }
}

/// The form a contact value is looked up by, so the same number or address
/// written two ways matches: phone, mobile and fax numbers in E.164 when
/// they can be read as one (`region`, the customer's country, places a
/// number written without its country code), emails and everything else
/// case-folded with runs of whitespace as one space.
fn lookup_form(kind: Option<ContactType>, value: &str, region: Option<&str>) -> String {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    let number_like = !value.is_empty()
        && value.chars().any(|c| c.is_ascii_digit())
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let is_number = match kind {
        Some(ContactType::Phone | ContactType::Mobile | ContactType::Fax) => true,
        Some(_) => false,
        None => number_like,
    };
    if is_number && number_like {
        let region = region.and_then(|r| r.parse::<phonenumber::country::Id>().ok());
        if let Ok(number) = phonenumber::parse(region, &value) {
            return number.format().mode(phonenumber::Mode::E164).to_string();
        }
        // Not a number the numbering plan knows: its digits, as written.
        return value
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
    }
    crate::domain::text::fold(&value)
}

impl ContactPoint {
    /// The keys this point is found by in `contact_points.value` filters:
    /// its lookup form, and for a number written without its country code
    /// also the digits as written, so a caller who searches the same local
    /// form finds it too.
    pub fn lookup_keys(&self, country: &str) -> Vec<String> {
        let region = (!country.is_empty()).then_some(country);
        let mut keys = vec![lookup_form(Some(self.kind), &self.value, region)];
        let as_written = lookup_form(Some(self.kind), &self.value, None);
        if !keys.contains(&as_written) {
            keys.push(as_written);
        }
        keys
    }
}

/// The lookup form of a value searched with `contact_points.value = ".."`:
/// a number must carry its country code (`+86 138 0000 0000`) to match a
/// number stored in another form; an email or handle matches ignoring case.
pub fn contact_lookup_key(value: &str) -> String {
    lookup_form(None, value, None)
}

impl Customer {
    pub const MAX_CONTACT_POINTS: usize = 20;

    /// Rules across contact points: no duplicate point, at most one preferred
    /// point per type. Returns (index, description) for each offending point.
    pub fn contact_point_conflicts(points: &[ContactPoint]) -> Vec<(usize, String)> {
        let mut problems = Vec::new();
        for (i, point) in points.iter().enumerate() {
            let earlier = &points[..i];
            if earlier
                .iter()
                .any(|p| p.kind == point.kind && p.value.eq_ignore_ascii_case(&point.value))
            {
                problems.push((i, "duplicates an earlier contact point".to_owned()));
            } else if point.preferred && earlier.iter().any(|p| p.kind == point.kind && p.preferred)
            {
                problems.push((
                    i,
                    format!(
                        "a second preferred {} point; at most one per type",
                        point.kind.name()
                    ),
                ));
            }
        }
        problems
    }
}

impl ResourceBody for Customer {
    const COLLECTION: Collection = COLLECTION;
    const FILTER: Schema = FILTER;
    const ORDERABLE: Orderable = ORDERABLE;

    type Input = CustomerInput;
    type Side = ();

    fn from_input(
        input: CustomerInput,
        previous: Option<&Self>,
        _now: Timestamp,
    ) -> Result<Self, Violations> {
        Customer::parse(input, previous)
    }

    fn to_input(&self) -> CustomerInput {
        self.input()
    }

    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn changed_fields(before: &Self, after: &Self) -> Vec<String> {
        let (b, a) = (before, after);
        let mut changes = FieldChanges::default();
        changes
            .compare("display_name", &b.display_name, &a.display_name)
            .compare("kind", &b.kind, &a.kind)
            .compare("relationship", &b.relationship, &a.relationship)
            .compare("tier", &b.tier, &a.tier)
            .compare("value_grade", &b.value_grade, &a.value_grade)
            .compare("lifecycle_stage", &b.lifecycle_stage, &a.lifecycle_stage)
            .compare("attitude_type", &b.attitude_type, &a.attitude_type)
            .compare(
                "geography.country",
                &b.geography.country,
                &a.geography.country,
            )
            .compare(
                "geography.province",
                &b.geography.province,
                &a.geography.province,
            )
            .compare("geography.city", &b.geography.city, &a.geography.city)
            .compare(
                "geography.sales_region",
                &b.geography.sales_region,
                &a.geography.sales_region,
            )
            .compare(
                "geography.city_size",
                &b.geography.city_size,
                &a.geography.city_size,
            )
            .compare(
                "demographics.age_band",
                &b.demographics.age_band,
                &a.demographics.age_band,
            )
            .compare(
                "demographics.gender",
                &b.demographics.gender,
                &a.demographics.gender,
            )
            .compare(
                "demographics.income_band",
                &b.demographics.income_band,
                &a.demographics.income_band,
            )
            .compare(
                "demographics.occupation",
                &b.demographics.occupation,
                &a.demographics.occupation,
            )
            .compare(
                "demographics.education",
                &b.demographics.education,
                &a.demographics.education,
            )
            .compare(
                "behaviour.usage_rate",
                &b.behaviour.usage_rate,
                &a.behaviour.usage_rate,
            )
            .compare(
                "behaviour.user_status",
                &b.behaviour.user_status,
                &a.behaviour.user_status,
            )
            .compare(
                "behaviour.loyalty",
                &b.behaviour.loyalty,
                &a.behaviour.loyalty,
            )
            .compare(
                "behaviour.product_attitude",
                &b.behaviour.product_attitude,
                &a.behaviour.product_attitude,
            )
            .compare(
                "behaviour.benefit_sought",
                &b.behaviour.benefit_sought,
                &a.behaviour.benefit_sought,
            )
            .compare("contact_points", &b.contact_points, &a.contact_points)
            .compare("do_not_contact", &b.do_not_contact, &a.do_not_contact)
            .compare("labels", &b.labels, &a.labels);
        changes.into_paths()
    }
}

/// A country code: two upper-case ASCII letters, or empty.
pub fn check_country(code: &str) -> Result<String, String> {
    let valid =
        code.is_empty() || (code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()));
    valid
        .then(|| code.to_owned())
        .ok_or_else(|| "must be an ISO 3166-1 alpha-2 code in upper case, e.g. CN".into())
}

/// Filterable fields of ListCustomers, as documented in the proto.
pub const FILTER: Schema = Schema {
    fields: &[
        FieldSpec {
            path: "display_name",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "kind",
            ty: FieldType::Enum(CustomerKind::ALL),
        },
        FieldSpec {
            path: "relationship",
            ty: FieldType::Enum(Relationship::ALL),
        },
        FieldSpec {
            path: "tier",
            ty: FieldType::Enum(Tier::ALL),
        },
        FieldSpec {
            path: "value_grade",
            ty: FieldType::Enum(ValueGrade::ALL),
        },
        FieldSpec {
            path: "lifecycle_stage",
            ty: FieldType::Enum(LifecycleStage::ALL),
        },
        FieldSpec {
            path: "attitude_type",
            ty: FieldType::Enum(AttitudeType::ALL),
        },
        FieldSpec {
            path: "do_not_contact",
            ty: FieldType::Bool,
        },
        FieldSpec {
            path: "contact_points.value",
            ty: FieldType::Key(contact_lookup_key),
        },
        FieldSpec {
            path: "geography.country",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "geography.province",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "geography.city",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "geography.sales_region",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "geography.city_size",
            ty: FieldType::Enum(CitySize::ALL),
        },
        FieldSpec {
            path: "demographics.age_band",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "demographics.gender",
            ty: FieldType::Enum(Gender::ALL),
        },
        FieldSpec {
            path: "demographics.income_band",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "demographics.occupation",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "demographics.education",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "behaviour.usage_rate",
            ty: FieldType::Enum(UsageRate::ALL),
        },
        FieldSpec {
            path: "behaviour.user_status",
            ty: FieldType::Enum(UserStatus::ALL),
        },
        FieldSpec {
            path: "behaviour.loyalty",
            ty: FieldType::Enum(Loyalty::ALL),
        },
        FieldSpec {
            path: "behaviour.product_attitude",
            ty: FieldType::Enum(ProductAttitude::ALL),
        },
        FieldSpec {
            path: "behaviour.benefit_sought",
            ty: FieldType::Enum(Benefit::ALL),
        },
        FieldSpec {
            path: "create_time",
            ty: FieldType::Timestamp,
        },
        FieldSpec {
            path: "update_time",
            ty: FieldType::Timestamp,
        },
    ],
    labels: true,
};

/// Fields ListCustomers can be ordered by, as documented in the proto;
/// newest first by default.
pub const ORDERABLE: Orderable = Orderable {
    fields: &[
        "display_name",
        "tier",
        "value_grade",
        "lifecycle_stage",
        "geography.country",
        "geography.sales_region",
        "create_time",
        "update_time",
    ],
    default_field: "create_time",
    default_descending: true,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_values_are_looked_up_in_one_form() {
        let mobile = point(ContactType::Mobile, "138 0000 0000", false);
        assert_eq!(mobile.lookup_keys("CN"), ["+8613800000000", "13800000000"]);
        let international = point(ContactType::Mobile, "+86 (138) 0000-0000", false);
        assert_eq!(international.lookup_keys(""), ["+8613800000000"]);
        for written in ["+8613800000000", "+86 138 0000 0000", " +86-138-0000-0000 "] {
            assert_eq!(contact_lookup_key(written), "+8613800000000", "{written}");
        }
        assert_eq!(contact_lookup_key("13800000000"), "13800000000");
        let email = point(ContactType::Email, "Li.Wei@Example.CN", false);
        assert_eq!(email.lookup_keys("CN"), ["li.wei@example.cn"]);
        assert_eq!(contact_lookup_key("LI.WEI@example.cn"), "li.wei@example.cn");
        // A number the plan does not know keeps its digits.
        assert_eq!(contact_lookup_key("+999 12"), "+99912");
        let address = point(ContactType::PostalAddress, "1  Main   St", false);
        assert_eq!(address.lookup_keys(""), ["1 main st"]);
    }

    fn point(kind: ContactType, value: &str, preferred: bool) -> ContactPoint {
        ContactPoint {
            kind,
            value: value.into(),
            preferred,
            verified: false,
            service_consent: Consent::NotAsked,
            marketing_consent: Consent::NotAsked,
        }
    }

    #[test]
    fn contact_values_are_checked_by_type() {
        assert!(ContactPoint::check_value(ContactType::Email, "a@b.cn").is_ok());
        assert!(ContactPoint::check_value(ContactType::Email, "a@@b").is_err());
        assert!(ContactPoint::check_value(ContactType::Email, "ab").is_err());
        assert!(ContactPoint::check_value(ContactType::Mobile, "+86 138-0000-0000").is_ok());
        assert!(ContactPoint::check_value(ContactType::Phone, "call me").is_err());
        assert!(ContactPoint::check_value(ContactType::Fax, "--").is_err());
        assert!(ContactPoint::check_value(ContactType::PostalAddress, "1 Main St").is_ok());
    }

    #[test]
    fn one_preferred_point_per_type_and_no_duplicates() {
        let points = vec![
            point(ContactType::Email, "a@b.cn", true),
            point(ContactType::Mobile, "123", true),
            point(ContactType::Email, "c@d.cn", true),
            point(ContactType::Email, "A@B.CN", false),
        ];
        let problems = Customer::contact_point_conflicts(&points);
        assert_eq!(problems.iter().map(|p| p.0).collect::<Vec<_>>(), vec![2, 3]);
    }

    #[test]
    fn country_codes_are_two_upper_case_letters() {
        assert_eq!(check_country("CN"), Ok("CN".into()));
        assert_eq!(check_country(""), Ok(String::new()));
        assert!(check_country("cn").is_err());
        assert!(check_country("CHN").is_err());
    }
}
