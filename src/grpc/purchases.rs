//! PurchaseService: each handler picks its request's fields and calls the
//! standard path; the translation between `pb::Purchase` and the domain's
//! purchase is all that is specific here. Rules live in `domain::purchase`.

use tonic::{Request, Response, Status};

use super::convert::{call, labels_to_pb, meta_to_pb, money_to_pb, time_input, timestamp_to_pb};
use super::standard::{self, WireResource};
use crate::domain::ClosedEnum;
use crate::domain::input::code_of;
use crate::domain::money::MoneyInput;
use crate::domain::purchase::{ProductInput, Purchase, PurchaseInput, channel_name};
use crate::domain::resource::Resource;
use crate::pb::{self, purchase_service_server::PurchaseService};
use crate::usecases::Resources;

pub struct PurchaseApi {
    pub purchases: Resources<Purchase>,
}

#[tonic::async_trait]
impl PurchaseService for PurchaseApi {
    async fn create_purchase(
        &self,
        request: Request<pb::CreatePurchaseRequest>,
    ) -> Result<Response<pb::Purchase>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        let purchase = r.purchase.as_ref();
        standard::create(&self.purchases, &call, &r.parent, purchase, &r.request_id).await
    }

    async fn batch_create_purchases(
        &self,
        request: Request<pb::BatchCreatePurchasesRequest>,
    ) -> Result<Response<pb::BatchCreatePurchasesResponse>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        let rows = r
            .requests
            .iter()
            .map(|row| (row.parent.as_str(), row.purchase.as_ref()))
            .collect();
        let purchases =
            standard::batch_create(&self.purchases, &call, &r.parent, rows, &r.request_id).await?;
        Ok(Response::new(pb::BatchCreatePurchasesResponse {
            purchases,
        }))
    }

    async fn get_purchase(
        &self,
        request: Request<pb::GetPurchaseRequest>,
    ) -> Result<Response<pb::Purchase>, Status> {
        standard::get(&self.purchases, &request.get_ref().name).await
    }

    async fn list_purchases(
        &self,
        request: Request<pb::ListPurchasesRequest>,
    ) -> Result<Response<pb::ListPurchasesResponse>, Status> {
        let r = request.into_inner();
        let parent = r.parent.clone();
        let list = list_request!(r, show_deleted: |r: &pb::ListPurchasesRequest| r.show_deleted);
        let (purchases, next_page_token) = standard::list(&self.purchases, &parent, list).await?;
        Ok(Response::new(pb::ListPurchasesResponse {
            purchases,
            next_page_token,
        }))
    }

    async fn update_purchase(
        &self,
        request: Request<pb::UpdatePurchaseRequest>,
    ) -> Result<Response<pb::Purchase>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        let mask = r.update_mask.as_ref();
        standard::update(&self.purchases, &call, r.purchase, mask, &r.request_id).await
    }

    async fn delete_purchase(
        &self,
        request: Request<pb::DeletePurchaseRequest>,
    ) -> Result<Response<pb::Purchase>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        standard::delete(&self.purchases, &call, &r.name, &r.etag, &r.request_id).await
    }

    async fn undelete_purchase(
        &self,
        request: Request<pb::UndeletePurchaseRequest>,
    ) -> Result<Response<pb::Purchase>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        standard::undelete(&self.purchases, &call, &r.name, &r.request_id).await
    }
}

impl WireResource for Purchase {
    type Message = pb::Purchase;
    const MESSAGE: &'static str = "crm.v1.Purchase";

    fn name(message: &pb::Purchase) -> &str {
        &message.name
    }

    fn etag(message: &pb::Purchase) -> &str {
        &message.etag
    }

    fn input(p: &pb::Purchase) -> PurchaseInput {
        let product = p.product.clone().unwrap_or_default();
        let amount = p.amount.clone().unwrap_or_default();
        PurchaseInput {
            product: ProductInput {
                sku: product.sku,
                name: product.name,
            },
            quantity: p.quantity,
            amount: MoneyInput {
                currency_code: amount.currency_code,
                units: amount.units,
                nanos: amount.nanos,
            },
            purchase_time: p.purchase_time.as_ref().map(time_input),
            channel: p.channel.clone(),
            reason: p.reason,
            kind: p.kind,
            labels: p.labels.clone().into_iter().collect(),
        }
    }

    fn to_pb(r: &Resource<Purchase>) -> pb::Purchase {
        let p = &r.body;
        let meta = meta_to_pb(&r.meta);
        pb::Purchase {
            name: r.resource_name(),
            product: Some(pb::Product {
                sku: p.product.sku.clone(),
                name: p.product.name.clone(),
            }),
            quantity: p.quantity,
            amount: Some(money_to_pb(&p.amount)),
            purchase_time: Some(timestamp_to_pb(p.purchase_time)),
            channel: p.channel.map(channel_name).unwrap_or_default(),
            reason: code_of(p.reason),
            kind: p.kind.code(),
            labels: labels_to_pb(&p.labels),
            create_time: meta.create_time,
            update_time: meta.update_time,
            delete_time: meta.delete_time,
            etag: meta.etag,
        }
    }
}
