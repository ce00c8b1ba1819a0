//! The `customers` table: one column per filterable or orderable field;
//! contact points and labels as JSON text.

use sea_orm::entity::prelude::*;
use sea_orm::{NotSet, Set};

use super::resources::{Table, code_of, from_code, from_json, meta_of, required_code, to_json};
use crate::domain::ClosedEnum;
use crate::domain::customer::{Behaviour, Customer, Demographics, Geography};
use crate::domain::resource::{Resource, Timestamp};
use crate::domain::text::fold;
use crate::error::Error;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub display_name: String,
    pub kind: i32,
    pub relationship: i32,
    pub tier: i32,
    pub value_grade: i32,
    pub lifecycle_stage: i32,
    pub attitude_type: i32,
    pub do_not_contact: bool,
    pub country: String,
    pub province: String,
    pub city: String,
    pub sales_region: String,
    pub city_size: i32,
    pub age_band: String,
    pub gender: i32,
    pub income_band: String,
    pub occupation: String,
    pub education: String,
    pub usage_rate: i32,
    pub user_status: i32,
    pub loyalty: i32,
    pub product_attitude: i32,
    pub benefit_sought: i32,
    #[sea_orm(column_type = "Text")]
    pub contact_points: String,
    #[sea_orm(column_type = "Text")]
    pub labels: String,
    pub create_time: i64,
    pub update_time: i64,
    pub delete_time: Option<i64>,
    pub version: i64,
    pub display_name_folded: String,
    pub country_folded: String,
    pub province_folded: String,
    pub city_folded: String,
    pub sales_region_folded: String,
    pub age_band_folded: String,
    pub income_band_folded: String,
    pub occupation_folded: String,
    pub education_folded: String,
    /// When the lifecycle stage would next change without a purchase;
    /// written only by `store::lifecycle`, never from the body.
    pub lifecycle_next_change_time: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Table for Customer {
    type Entity = Entity;
    const ID: Column = Column::Id;
    const DELETE_TIME: Column = Column::DeleteTime;
    const VERSION: Column = Column::Version;

    fn column(field: &str) -> Option<Column> {
        Some(match field {
            "display_name" => Column::DisplayName,
            "kind" => Column::Kind,
            "relationship" => Column::Relationship,
            "tier" => Column::Tier,
            "value_grade" => Column::ValueGrade,
            "lifecycle_stage" => Column::LifecycleStage,
            "attitude_type" => Column::AttitudeType,
            "do_not_contact" => Column::DoNotContact,
            "geography.country" => Column::Country,
            "geography.province" => Column::Province,
            "geography.city" => Column::City,
            "geography.sales_region" => Column::SalesRegion,
            "geography.city_size" => Column::CitySize,
            "demographics.age_band" => Column::AgeBand,
            "demographics.gender" => Column::Gender,
            "demographics.income_band" => Column::IncomeBand,
            "demographics.occupation" => Column::Occupation,
            "demographics.education" => Column::Education,
            "behaviour.usage_rate" => Column::UsageRate,
            "behaviour.user_status" => Column::UserStatus,
            "behaviour.loyalty" => Column::Loyalty,
            "behaviour.product_attitude" => Column::ProductAttitude,
            "behaviour.benefit_sought" => Column::BenefitSought,
            "create_time" => Column::CreateTime,
            "update_time" => Column::UpdateTime,
            _ => return None,
        })
    }

    fn folded(field: &str) -> Option<Column> {
        Some(match field {
            "display_name" => Column::DisplayNameFolded,
            "geography.country" => Column::CountryFolded,
            "geography.province" => Column::ProvinceFolded,
            "geography.city" => Column::CityFolded,
            "geography.sales_region" => Column::SalesRegionFolded,
            "demographics.age_band" => Column::AgeBandFolded,
            "demographics.income_band" => Column::IncomeBandFolded,
            "demographics.occupation" => Column::OccupationFolded,
            "demographics.education" => Column::EducationFolded,
            _ => return None,
        })
    }

    fn keys(resource: &Resource<Self>) -> Vec<(&'static str, String)> {
        let country = &resource.body.geography.country;
        resource
            .body
            .contact_points
            .iter()
            .flat_map(|point| point.lookup_keys(country))
            .map(|key| ("contact_points.value", key))
            .collect()
    }

    fn to_row(resource: &Resource<Self>) -> Result<ActiveModel, Error> {
        let (c, m) = (&resource.body, &resource.meta);
        Ok(ActiveModel {
            id: Set(resource.id),
            display_name: Set(c.display_name.clone()),
            kind: Set(c.kind.code()),
            relationship: Set(code_of(c.relationship)),
            tier: Set(code_of(c.tier)),
            value_grade: Set(code_of(c.value_grade)),
            lifecycle_stage: Set(code_of(c.lifecycle_stage)),
            attitude_type: Set(code_of(c.attitude_type)),
            do_not_contact: Set(c.do_not_contact),
            country: Set(c.geography.country.clone()),
            province: Set(c.geography.province.clone()),
            city: Set(c.geography.city.clone()),
            sales_region: Set(c.geography.sales_region.clone()),
            city_size: Set(code_of(c.geography.city_size)),
            age_band: Set(c.demographics.age_band.clone()),
            gender: Set(code_of(c.demographics.gender)),
            income_band: Set(c.demographics.income_band.clone()),
            occupation: Set(c.demographics.occupation.clone()),
            education: Set(c.demographics.education.clone()),
            usage_rate: Set(code_of(c.behaviour.usage_rate)),
            user_status: Set(code_of(c.behaviour.user_status)),
            loyalty: Set(code_of(c.behaviour.loyalty)),
            product_attitude: Set(code_of(c.behaviour.product_attitude)),
            benefit_sought: Set(code_of(c.behaviour.benefit_sought)),
            contact_points: Set(to_json(&c.contact_points)?),
            labels: Set(to_json(&c.labels)?),
            create_time: Set(m.create_time.micros()),
            update_time: Set(m.update_time.micros()),
            delete_time: Set(m.delete_time.map(Timestamp::micros)),
            version: Set(m.version),
            display_name_folded: Set(fold(&c.display_name)),
            country_folded: Set(fold(&c.geography.country)),
            province_folded: Set(fold(&c.geography.province)),
            city_folded: Set(fold(&c.geography.city)),
            sales_region_folded: Set(fold(&c.geography.sales_region)),
            age_band_folded: Set(fold(&c.demographics.age_band)),
            income_band_folded: Set(fold(&c.demographics.income_band)),
            occupation_folded: Set(fold(&c.demographics.occupation)),
            education_folded: Set(fold(&c.demographics.education)),
            lifecycle_next_change_time: NotSet,
        })
    }

    fn from_row(row: Model) -> Result<Resource<Self>, Error> {
        let body = Customer {
            kind: required_code(row.kind)?,
            relationship: from_code(row.relationship)?,
            tier: from_code(row.tier)?,
            value_grade: from_code(row.value_grade)?,
            lifecycle_stage: from_code(row.lifecycle_stage)?,
            attitude_type: from_code(row.attitude_type)?,
            do_not_contact: row.do_not_contact,
            geography: Geography {
                country: row.country,
                province: row.province,
                city: row.city,
                sales_region: row.sales_region,
                city_size: from_code(row.city_size)?,
            },
            demographics: Demographics {
                age_band: row.age_band,
                gender: from_code(row.gender)?,
                income_band: row.income_band,
                occupation: row.occupation,
                education: row.education,
            },
            behaviour: Behaviour {
                usage_rate: from_code(row.usage_rate)?,
                user_status: from_code(row.user_status)?,
                loyalty: from_code(row.loyalty)?,
                product_attitude: from_code(row.product_attitude)?,
                benefit_sought: from_code(row.benefit_sought)?,
            },
            contact_points: from_json(&row.contact_points)?,
            labels: from_json(&row.labels)?,
            display_name: row.display_name,
        };
        Ok(Resource {
            id: row.id,
            parent: None,
            meta: meta_of(
                row.create_time,
                row.update_time,
                row.delete_time,
                row.version,
            ),
            body,
        })
    }
}
