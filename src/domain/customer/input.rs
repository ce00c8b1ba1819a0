//! The customer card as a caller writes it, and the rules that turn it into
//! a [`Customer`]: lengths, codes, contact values, consent, and the rules
//! across contact points. Paths are relative to the customer.

use super::*;

/// The writable fields of a customer, unchecked, under their API names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerInput {
    pub display_name: String,
    pub kind: i32,
    pub relationship: i32,
    pub tier: i32,
    pub attitude_type: i32,
    pub geography: GeographyInput,
    pub demographics: DemographicsInput,
    pub behaviour: BehaviourInput,
    pub contact_points: Vec<ContactPointInput>,
    pub do_not_contact: bool,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GeographyInput {
    pub country: String,
    pub province: String,
    pub city: String,
    pub sales_region: String,
    pub city_size: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DemographicsInput {
    pub age_band: String,
    pub gender: i32,
    pub income_band: String,
    pub occupation: String,
    pub education: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BehaviourInput {
    pub usage_rate: i32,
    pub user_status: i32,
    pub loyalty: i32,
    pub product_attitude: i32,
    pub benefit_sought: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactPointInput {
    pub r#type: i32,
    pub value: String,
    pub preferred: bool,
    pub verified: bool,
    pub service_consent: Option<ConsentInput>,
    pub marketing_consent: Option<ConsentInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsentInput {
    pub status: i32,
    pub record_time: Option<TimeInput>,
    pub source: String,
}

impl Customer {
    /// Checks a customer card; the value grade, set by grading only, is
    /// carried over from `previous`.
    pub fn parse(c: CustomerInput, previous: Option<&Customer>) -> Result<Customer, Violations> {
        let mut v = Violations::new();
        let display_name = required_text(&mut v, "display_name", &c.display_name, 200);
        let kind = required_code(&mut v, "kind", c.kind);
        let (geo, demo, beh) = (&c.geography, &c.demographics, &c.behaviour);
        let country = v
            .check("geography.country", check_country(geo.country.trim()))
            .unwrap_or_default();
        let body = Customer {
            display_name: display_name.unwrap_or_default(),
            kind: kind.unwrap_or(CustomerKind::Organisation),
            relationship: optional_code(&mut v, "relationship", c.relationship),
            tier: optional_code(&mut v, "tier", c.tier),
            value_grade: previous.and_then(|p| p.value_grade),
            // Derived from purchases (`lifecycle`): a new card is a prospect.
            lifecycle_stage: previous.map_or(Some(LifecycleStage::Prospect), |p| p.lifecycle_stage),
            attitude_type: optional_code(&mut v, "attitude_type", c.attitude_type),
            geography: Geography {
                country,
                province: optional_text(&mut v, "geography.province", &geo.province, 100),
                city: optional_text(&mut v, "geography.city", &geo.city, 100),
                sales_region: optional_text(
                    &mut v,
                    "geography.sales_region",
                    &geo.sales_region,
                    100,
                ),
                city_size: optional_code(&mut v, "geography.city_size", geo.city_size),
            },
            demographics: Demographics {
                age_band: optional_text(&mut v, "demographics.age_band", &demo.age_band, 20),
                gender: optional_code(&mut v, "demographics.gender", demo.gender),
                income_band: optional_text(
                    &mut v,
                    "demographics.income_band",
                    &demo.income_band,
                    40,
                ),
                occupation: optional_text(&mut v, "demographics.occupation", &demo.occupation, 100),
                education: optional_text(&mut v, "demographics.education", &demo.education, 100),
            },
            behaviour: Behaviour {
                usage_rate: optional_code(&mut v, "behaviour.usage_rate", beh.usage_rate),
                user_status: optional_code(&mut v, "behaviour.user_status", beh.user_status),
                loyalty: optional_code(&mut v, "behaviour.loyalty", beh.loyalty),
                product_attitude: optional_code(
                    &mut v,
                    "behaviour.product_attitude",
                    beh.product_attitude,
                ),
                benefit_sought: optional_code(
                    &mut v,
                    "behaviour.benefit_sought",
                    beh.benefit_sought,
                ),
            },
            contact_points: contact_points(&mut v, "contact_points", &c.contact_points),
            do_not_contact: c.do_not_contact,
            labels: Labels::parse(&mut v, "labels", &c.labels),
        };
        v.finish_with(body)
    }

    /// The writable fields as input, for an update to merge into.
    pub fn input(&self) -> CustomerInput {
        let (geo, demo, beh) = (&self.geography, &self.demographics, &self.behaviour);
        CustomerInput {
            display_name: self.display_name.clone(),
            kind: self.kind.code(),
            relationship: code_of(self.relationship),
            tier: code_of(self.tier),
            attitude_type: code_of(self.attitude_type),
            geography: GeographyInput {
                country: geo.country.clone(),
                province: geo.province.clone(),
                city: geo.city.clone(),
                sales_region: geo.sales_region.clone(),
                city_size: code_of(geo.city_size),
            },
            demographics: DemographicsInput {
                age_band: demo.age_band.clone(),
                gender: code_of(demo.gender),
                income_band: demo.income_band.clone(),
                occupation: demo.occupation.clone(),
                education: demo.education.clone(),
            },
            behaviour: BehaviourInput {
                usage_rate: code_of(beh.usage_rate),
                user_status: code_of(beh.user_status),
                loyalty: code_of(beh.loyalty),
                product_attitude: code_of(beh.product_attitude),
                benefit_sought: code_of(beh.benefit_sought),
            },
            contact_points: self
                .contact_points
                .iter()
                .map(ContactPoint::input)
                .collect(),
            do_not_contact: self.do_not_contact,
            labels: self.labels.to_map(),
        }
    }
}

fn contact_points(v: &mut Violations, at: &str, points: &[ContactPointInput]) -> Vec<ContactPoint> {
    if points.len() > Customer::MAX_CONTACT_POINTS {
        v.add(
            at,
            format!(
                "at most {} contact points are allowed",
                Customer::MAX_CONTACT_POINTS
            ),
        );
        return Vec::new();
    }
    let mut parsed = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let f = |name: &str| format!("{at}[{i}].{name}");
        let kind = required_code(v, &f("type"), p.r#type);
        let value = required_text(v, &f("value"), &p.value, ContactPoint::MAX_VALUE_CHARS);
        if let (Some(kind), Some(value)) = (kind, &value) {
            v.check(&f("value"), ContactPoint::check_value(kind, value));
        }
        let service_consent = consent(v, &f("service_consent"), p.service_consent.as_ref());
        let marketing_consent = consent(v, &f("marketing_consent"), p.marketing_consent.as_ref());
        if let (Some(kind), Some(value)) = (kind, value) {
            parsed.push(ContactPoint {
                kind,
                value,
                preferred: p.preferred,
                verified: p.verified,
                service_consent,
                marketing_consent,
            });
        }
    }
    if parsed.len() == points.len() {
        for (i, problem) in Customer::contact_point_conflicts(&parsed) {
            v.add(format!("{at}[{i}]"), problem);
        }
    }
    parsed
}

/// An empty consent message is "never asked", like an absent one.
fn consent(v: &mut Violations, at: &str, consent: Option<&ConsentInput>) -> Consent {
    let Some(c) =
        consent.filter(|c| c.status != 0 || c.record_time.is_some() || !c.source.is_empty())
    else {
        return Consent::NotAsked;
    };
    let status = required_code::<ConsentStatus>(v, &format!("{at}.status"), c.status);
    let record_time = match c.record_time {
        Some(_) => time(v, &format!("{at}.record_time"), c.record_time),
        None => {
            v.add(
                format!("{at}.record_time"),
                "is required when consent is recorded",
            );
            None
        }
    };
    let source = required_text(v, &format!("{at}.source"), &c.source, 200);
    match (status, record_time, source) {
        (Some(status), Some(record_time), Some(source)) => Consent::Answered {
            status,
            record_time,
            source,
        },
        _ => Consent::NotAsked,
    }
}

impl ContactPoint {
    fn input(&self) -> ContactPointInput {
        ContactPointInput {
            r#type: self.kind.code(),
            value: self.value.clone(),
            preferred: self.preferred,
            verified: self.verified,
            service_consent: self.service_consent.input(),
            marketing_consent: self.marketing_consent.input(),
        }
    }
}

impl Consent {
    fn input(&self) -> Option<ConsentInput> {
        match self {
            Consent::NotAsked => None,
            Consent::Answered {
                status,
                record_time,
                source,
            } => Some(ConsentInput {
                status: status.code(),
                record_time: Some((*record_time).into()),
                source: source.clone(),
            }),
        }
    }
}
