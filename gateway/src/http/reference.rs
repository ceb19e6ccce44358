//! Reference data over REST, for the procurement centre (operator): regions, categories, products,
//! participants and their suspension, affiliation groups, framework agreements, direct-order
//! limits, budget allocations and user accounts; and a supplier's stock. Each body parses into the
//! engine's own command, so the rules are the engine's (docs/DESIGN.md, Units); the gateway only turns
//! text into exact values and hashes passwords, which never enter the journal in the clear.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use engine::budget::Allocation;
use engine::catalog::{
    AffiliationBasis, EnterpriseSize, Grant, ParticipantKind, ProductSpec, Registration,
};
use engine::types::{
    AgreementId, Amount, BudgetLineId, CategoryCode, CreditCode, ParticipantId, ProductId,
    Quantity, RegionCode, UnitPrice,
};
use engine::{Action, Event};
use serde::{Deserialize, Serialize};

use super::body::Body;
use super::state::AppState;
use super::{Done, Session, submit};
use crate::error::ApiError;

fn parsed<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| ApiError::invalid(format!("{field}: {e}")))
}

fn date(field: &str, text: &str) -> Result<time::Date, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format)
        .map_err(|_| ApiError::invalid(format!("{field}: a date such as 2026-01-31")))
}

/// What an operator's change made, as its answer names it: the fields of what it made or changed.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Changed {
    /// A region defined, or the region of a direct-order limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    /// A category defined, or the category of a limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<String>,
    /// A product defined.
    #[serde(skip_serializing_if = "Option::is_none")]
    product: Option<u64>,
    /// A participant registered, or the participant of an account.
    #[serde(skip_serializing_if = "Option::is_none")]
    participant: Option<u64>,
    /// A supplier's enterprise size declared (S-1).
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<&'static str>,
    /// The small-enterprise deduction set, in basis points (S-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    basis_points: Option<u32>,
    /// A supplier suspended or reinstated.
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<u64>,
    /// Its status now: active or suspended.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    /// An affiliation group defined.
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<u64>,
    /// An agreement granted or changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    agreement: Option<u64>,
    /// Its payment term, in days (P-6).
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_days: Option<u32>,
    /// Its new ceiling.
    #[serde(skip_serializing_if = "Option::is_none")]
    ceiling: Option<String>,
    /// True once revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked: Option<bool>,
    /// Its stock now; null when not limited.
    #[serde(skip_serializing_if = "Option::is_none")]
    stock: Option<Option<String>>,
    /// The limit now; null when cleared.
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<Option<String>>,
    /// A budget line opened or adjusted.
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    /// Its allocation now.
    #[serde(skip_serializing_if = "Option::is_none")]
    allocated: Option<String>,
    /// An account opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<u64>,
    /// Its login name.
    #[serde(skip_serializing_if = "Option::is_none")]
    login: Option<String>,
    /// Counters a supplier may make (N-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    max_counters: Option<u32>,
    /// The calendar year loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    year: Option<i32>,
    /// Holidays in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    holidays: Option<usize>,
    /// Exchanged working days in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    workdays: Option<usize>,
}

/// The answer to an operator's change; a retry answers `already_applied` alone.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Operated {
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<Changed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    already_applied: Option<u64>,
}

/// Submits an operator's command and answers 201 with what `created` finds in its events.
async fn operate(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    roles: &[ParticipantKind],
    action: Action,
    created: impl Fn(&Event) -> Option<Changed>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    session.require(roles)?;
    match submit(state, session, headers, action).await? {
        Done::Retried { original } => Ok((
            StatusCode::OK,
            Json(Operated { created: None, seq: None, already_applied: Some(original.0) }),
        )),
        Done::Applied { seq, events } => {
            let found = events.iter().find_map(|e| created(&e.event));
            let answer = Operated { created: found, seq: Some(seq.0), already_applied: None };
            Ok((StatusCode::CREATED, Json(answer)))
        }
    }
}

const OPERATOR: &[ParticipantKind] = &[ParticipantKind::Operator];

/// Body of `POST /api/v1/regions` and `POST /api/v1/categories`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefineCode {
    code: String,
    name: String,
    parent: Option<String>,
}

/// `POST /api/v1/regions`: an administrative region under its parent.
#[utoipa::path(post, path = "/api/v1/regions", request_body = DefineCode, tag = "reference",
    responses((status = 201, description = "Defined", body = Operated), (status = 403, description = "Operators only")))]
pub async fn define_region(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(body): Body<DefineCode>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    let parent = body.parent.as_deref().map(|p| parsed::<RegionCode>("parent", p)).transpose()?;
    let action =
        Action::DefineRegion { code: parsed("code", &body.code)?, name: body.name, parent };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::RegionDefined { code, .. } => {
            Some(Changed { region: Some(code.to_string()), ..Changed::default() })
        }
        _ => None,
    })
    .await
}

/// `POST /api/v1/categories`: a catalog category under its parent.
#[utoipa::path(post, path = "/api/v1/categories", request_body = DefineCode, tag = "reference",
    responses((status = 201, description = "Defined", body = Operated), (status = 403, description = "Operators only")))]
pub async fn define_category(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(body): Body<DefineCode>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    let parent = body.parent.as_deref().map(|p| parsed::<CategoryCode>("parent", p)).transpose()?;
    let action =
        Action::DefineCategory { code: parsed("code", &body.code)?, name: body.name, parent };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::CategoryDefined { code, .. } => {
            Some(Changed { category: Some(code.to_string()), ..Changed::default() })
        }
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/products`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefineProduct {
    sku: String,
    category: String,
    brand: String,
    model: String,
    spec: String,
    unit: String,
    /// Quantity decimals, 0 to 3.
    scale: u8,
}

/// `POST /api/v1/products`: a catalog product (SKU).
#[utoipa::path(post, path = "/api/v1/products", request_body = DefineProduct, tag = "reference",
    responses((status = 201, description = "Defined", body = Operated), (status = 403, description = "Operators only")))]
pub async fn define_product(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<DefineProduct>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    let spec = ProductSpec {
        sku: b.sku,
        category: parsed("category", &b.category)?,
        brand: b.brand,
        model: b.model,
        spec: b.spec,
        unit: b.unit,
        scale: b.scale,
    };
    operate(&state, &session, &headers, OPERATOR, Action::DefineProduct(spec), |e| match e {
        Event::ProductDefined { product, .. } => {
            Some(Changed { product: Some(product.0), ..Changed::default() })
        }
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/participants`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterParticipant {
    /// purchaser, supplier, analyst or operator.
    kind: String,
    name: String,
    /// Unified social credit code (统一社会信用代码); required of suppliers.
    credit_code: Option<String>,
    /// Required of purchasers and analysts.
    region: Option<String>,
    /// A supplier's enterprise size, declared at registration (S-1): micro, small, medium or
    /// large.
    size: Option<String>,
}

/// An enterprise size by its name.
fn size(text: &str) -> Result<EnterpriseSize, ApiError> {
    EnterpriseSize::ALL
        .into_iter()
        .find(|s| s.name() == text)
        .ok_or_else(|| ApiError::invalid("size is micro, small, medium or large"))
}

fn kind(text: &str) -> Result<ParticipantKind, ApiError> {
    text.parse().map_err(|_| ApiError::invalid("kind is purchaser, supplier, analyst or operator"))
}

/// `POST /api/v1/participants`: registers a purchasing unit, supplier, analyst or operator.
#[utoipa::path(post, path = "/api/v1/participants", request_body = RegisterParticipant, tag = "reference",
    responses((status = 201, description = "Registered", body = Operated), (status = 400, description = "A bad credit code or region")))]
pub async fn register_participant(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<RegisterParticipant>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    let declared = b.size.as_deref().map(size).transpose()?;
    let registering = kind(&b.kind)?;
    match (registering, declared) {
        (ParticipantKind::Supplier, None) => {
            return Err(ApiError::invalid(
                "size: a supplier declares its size at registration (micro, small, medium or large)",
            ));
        }
        (kind, Some(_)) if kind != ParticipantKind::Supplier => {
            return Err(ApiError::invalid("size: only a supplier has an enterprise size"));
        }
        _ => {}
    }
    let registration = Registration {
        kind: registering,
        name: b.name,
        credit_code: b
            .credit_code
            .as_deref()
            .map(|c| parsed::<CreditCode>("credit_code", c))
            .transpose()?,
        region: b.region.as_deref().map(|r| parsed::<RegionCode>("region", r)).transpose()?,
    };
    let action = Action::RegisterParticipant(registration);
    let (status, Json(mut answer)) =
        operate(&state, &session, &headers, OPERATOR, action, |e| match e {
            Event::ParticipantRegistered { participant, .. } => {
                Some(Changed { participant: Some(participant.0), ..Changed::default() })
            }
            _ => None,
        })
        .await?;
    // S-1: the size the supplier declared, recorded with the registering operator's account.
    if let (Some(size), Some(created)) = (declared, answer.created.as_mut())
        && let Some(id) = created.participant
    {
        let declare = Action::DeclareSize { supplier: ParticipantId(id), size };
        super::submit_command(&state, engine::Command::new(session.actor, declare)).await?;
        created.size = Some(size.name());
    }
    Ok((status, Json(answer)))
}

/// Body of `POST /api/v1/participants/{id}/size`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclareSize {
    /// micro, small, medium or large.
    size: String,
}

/// `POST /api/v1/participants/{id}/size`: a supplier declares its size if it has none yet; an
/// operator of the province changes it (S-1).
#[utoipa::path(post, path = "/api/v1/participants/{id}/size", request_body = DeclareSize, tag = "reference",
    params(("id" = u64, Path, description = "The supplier")),
    responses((status = 201, description = "Declared", body = Operated), (status = 422, description = "Declared already: only an operator of the province changes it (S-1)")))]
pub async fn declare_size(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Body(b): Body<DeclareSize>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    let action = Action::DeclareSize { supplier: ParticipantId(id), size: size(&b.size)? };
    let roles = &[ParticipantKind::Operator, ParticipantKind::Supplier];
    operate(&state, &session, &headers, roles, action, |e| match e {
        Event::SizeDeclared { supplier, size, .. } => Some(Changed {
            participant: Some(supplier.0),
            size: Some(size.name()),
            ..Changed::default()
        }),
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/sme-deduction`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetDeduction {
    /// Basis points of the quoted total, 1000 to 2000 (10 % to 20 %).
    basis_points: u32,
}

/// `POST /api/v1/sme-deduction`: the deduction small and micro enterprises' quotes are ranked
/// after in deals not reserved (S-2); operators of the province.
#[utoipa::path(post, path = "/api/v1/sme-deduction", request_body = SetDeduction, tag = "reference",
    responses((status = 201, description = "Set", body = Operated), (status = 400, description = "Outside 1000 to 2000")))]
pub async fn set_sme_deduction(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<SetDeduction>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    let action = Action::SetSmeDeduction { basis_points: b.basis_points };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::SmeDeductionSet { basis_points } => {
            Some(Changed { basis_points: Some(*basis_points), ..Changed::default() })
        }
        _ => None,
    })
    .await
}

/// A reason, required to suspend, reinstate or revoke.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reasoned {
    reason: String,
}

/// `POST /api/v1/suppliers/{id}/{suspend|reinstate}`: a suspension bites at once (D-2, A-6).
#[utoipa::path(post, path = "/api/v1/suppliers/{id}/{step}", request_body = Reasoned, tag = "reference",
    params(("id" = u64, Path, description = "Supplier"), ("step" = String, Path, description = "suspend or reinstate")),
    responses((status = 201, description = "Done", body = Operated), (status = 403, description = "Operators only")))]
pub async fn supplier_status(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((id, step)): Path<(u64, String)>,
    Body(b): Body<Reasoned>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    let supplier = ParticipantId(id);
    let action = match step.as_str() {
        "suspend" => Action::SuspendSupplier { supplier, reason: b.reason },
        "reinstate" => Action::ReinstateSupplier { supplier, reason: b.reason },
        _ => return Err(ApiError::not_found("supplier step")),
    };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::SupplierSuspended { supplier, .. } => Some(Changed {
            supplier: Some(supplier.0),
            status: Some("suspended"),
            ..Changed::default()
        }),
        Event::SupplierReinstated { supplier, .. } => Some(Changed {
            supplier: Some(supplier.0),
            status: Some("active"),
            ..Changed::default()
        }),
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/affiliation-groups`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefineGroup {
    members: Vec<u64>,
    /// same_legal_representative or control.
    basis: String,
}

/// `POST /api/v1/affiliation-groups`: suppliers that count as one (政府采购法实施条例 Art. 18).
#[utoipa::path(post, path = "/api/v1/affiliation-groups", request_body = DefineGroup, tag = "reference",
    responses((status = 201, description = "Defined", body = Operated), (status = 403, description = "Operators only")))]
pub async fn define_group(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<DefineGroup>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    let basis = match b.basis.as_str() {
        "same_legal_representative" => AffiliationBasis::SameLegalRepresentative,
        "control" => AffiliationBasis::Control,
        _ => return Err(ApiError::invalid("basis is same_legal_representative or control")),
    };
    let members = b.members.into_iter().map(ParticipantId).collect();
    let action = Action::DefineAffiliationGroup { members, basis };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::AffiliationGroupDefined { group, .. } => {
            Some(Changed { group: Some(group.0), ..Changed::default() })
        }
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/agreements`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantAgreement {
    supplier: u64,
    product: u64,
    regions: Vec<String>,
    ceiling: String,
    valid_from: String,
    valid_to: String,
    /// Stock; unlimited when absent.
    stock: Option<String>,
}

/// `POST /api/v1/agreements`: a framework agreement with its ceiling and covered regions.
#[utoipa::path(post, path = "/api/v1/agreements", request_body = GrantAgreement, tag = "reference",
    responses((status = 201, description = "Granted", body = Operated), (status = 403, description = "Operators only")))]
pub async fn grant_agreement(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<GrantAgreement>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    let regions =
        b.regions.iter().map(|r| parsed::<RegionCode>("regions", r)).collect::<Result<_, _>>()?;
    let grant = Grant {
        supplier: ParticipantId(b.supplier),
        product: ProductId(b.product),
        regions,
        ceiling: parsed::<UnitPrice>("ceiling", &b.ceiling)?,
        valid_from: date("valid_from", &b.valid_from)?,
        valid_to: date("valid_to", &b.valid_to)?,
        stock: b.stock.as_deref().map(|s| parsed::<Quantity>("stock", s)).transpose()?,
    };
    operate(&state, &session, &headers, OPERATOR, Action::GrantAgreement(grant), |e| match e {
        Event::AgreementGranted { agreement, .. } => {
            Some(Changed { agreement: Some(agreement.0), ..Changed::default() })
        }
        _ => None,
    })
    .await
}

/// Body of a change to an agreement: a new ceiling (operator), a reason to revoke (operator), stock
/// (the supplier itself; `null` for unlimited), or the payment term in days (operator, 1 to 60: P-6).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementChange {
    ceiling: Option<String>,
    reason: Option<String>,
    #[serde(default)]
    stock: Option<String>,
    payment_days: Option<u32>,
}

/// `POST /api/v1/agreements/{id}/{ceiling|revoke|stock|payment-term}`.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/{change}", request_body = AgreementChange, tag = "reference",
    params(("id" = u64, Path, description = "Agreement"), ("change" = String, Path, description = "ceiling, revoke, stock or payment-term")),
    responses((status = 201, description = "Changed", body = Operated), (status = 403, description = "Not yours to change")))]
pub async fn change_agreement(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((id, change)): Path<(u64, String)>,
    Body(b): Body<AgreementChange>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    let agreement = AgreementId(id);
    let missing = |field: &str| ApiError::invalid(format!("{field} is required"));
    let (roles, action): (&[ParticipantKind], Action) = match change.as_str() {
        "ceiling" => {
            let ceiling = b.ceiling.as_deref().ok_or_else(|| missing("ceiling"))?;
            (OPERATOR, Action::ChangeCeiling { agreement, ceiling: parsed("ceiling", ceiling)? })
        }
        "revoke" => {
            let reason = b.reason.ok_or_else(|| missing("reason"))?;
            (OPERATOR, Action::RevokeAgreement { agreement, reason })
        }
        "stock" => {
            let stock = b.stock.as_deref().map(|s| parsed::<Quantity>("stock", s)).transpose()?;
            (&[ParticipantKind::Supplier], Action::SetStock { agreement, stock })
        }
        "payment-term" => {
            let days = b.payment_days.ok_or_else(|| missing("payment_days"))?;
            (OPERATOR, Action::SetPaymentTerm { agreement, days })
        }
        _ => return Err(ApiError::not_found("agreement change")),
    };
    operate(&state, &session, &headers, roles, action, |e| match e {
        Event::CeilingChanged { agreement, ceiling } => Some(Changed {
            agreement: Some(agreement.0),
            ceiling: Some(ceiling.to_string()),
            ..Changed::default()
        }),
        Event::AgreementRevoked { agreement, .. } => Some(Changed {
            agreement: Some(agreement.0),
            revoked: Some(true),
            ..Changed::default()
        }),
        Event::StockChanged { agreement, stock, .. } => Some(Changed {
            agreement: Some(agreement.0),
            stock: Some(stock.map(|s| s.to_string())),
            ..Changed::default()
        }),
        Event::PaymentTermSet { agreement, days } => Some(Changed {
            agreement: Some(agreement.0),
            payment_days: Some(*days),
            ..Changed::default()
        }),
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/direct-order-limits`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetLimit {
    region: String,
    category: String,
    /// The limit in yuan; `null` clears it.
    limit: Option<String>,
}

/// `POST /api/v1/direct-order-limits`: the direct-order limit of a category in a region (D-4).
#[utoipa::path(post, path = "/api/v1/direct-order-limits", request_body = SetLimit, tag = "reference",
    responses((status = 201, description = "Set", body = Operated), (status = 403, description = "Operators only")))]
pub async fn set_limit(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<SetLimit>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    let action = Action::SetDirectOrderLimit {
        region: parsed("region", &b.region)?,
        category: parsed("category", &b.category)?,
        limit: b.limit.as_deref().map(|l| parsed::<Amount>("limit", l)).transpose()?,
    };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::DirectOrderLimitSet { region, category, limit } => Some(Changed {
            region: Some(region.to_string()),
            category: Some(category.to_string()),
            limit: Some(limit.map(|l| l.to_string())),
            ..Changed::default()
        }),
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/calendar`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadCalendar {
    year: i32,
    /// Weekdays off, `YYYY-MM-DD`.
    holidays: Vec<String>,
    /// Weekend days worked in exchange (调休), `YYYY-MM-DD`.
    #[serde(default)]
    workdays: Vec<String>,
    /// The inquiry notice period in working days, when it changes.
    notice_working_days: Option<u32>,
}

fn dates(field: &str, texts: &[String]) -> Result<Vec<time::Date>, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    texts
        .iter()
        .map(|t| {
            time::Date::parse(t, &format)
                .map_err(|_| ApiError::invalid(format!("{field}: {t:?} is not a date YYYY-MM-DD")))
        })
        .collect()
}

/// `POST /api/v1/calendar`: a year's working-day calendar, and the inquiry notice period.
#[utoipa::path(post, path = "/api/v1/calendar", request_body = LoadCalendar, tag = "reference",
    responses((status = 201, description = "Loaded", body = Operated), (status = 400, description = "A date outside the year, or malformed"),
              (status = 403, description = "Operators only")))]
pub async fn load_calendar(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<LoadCalendar>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    // One request, one command: with a notice period the calendar and the period are set by one
    // command, so an idempotency key covers both and a refusal leaves both unchanged.
    let (year, holidays, workdays) =
        (b.year, dates("holidays", &b.holidays)?, dates("workdays", &b.workdays)?);
    let action = match b.notice_working_days {
        Some(notice_working_days) => {
            Action::LoadCalendarWithNotice { year, holidays, workdays, notice_working_days }
        }
        None => Action::LoadCalendar { year, holidays, workdays },
    };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::CalendarLoaded { year, holidays, workdays } => Some(Changed {
            year: Some(*year),
            holidays: Some(holidays.len()),
            workdays: Some(workdays.len()),
            ..Changed::default()
        }),
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/negotiation-rules`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NegotiationRules {
    /// Counters a supplier may make per negotiation, 0 to 10.
    max_counters: u32,
}

/// `POST /api/v1/negotiation-rules`: how many counters a supplier may make (N-2).
#[utoipa::path(post, path = "/api/v1/negotiation-rules", request_body = NegotiationRules, tag = "reference",
    responses((status = 201, description = "Set", body = Operated), (status = 403, description = "Operators only")))]
pub async fn set_negotiation_rules(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<NegotiationRules>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    let action = Action::SetNegotiationRules { max_counters: b.max_counters };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::NegotiationRulesSet { max_counters } => {
            Some(Changed { max_counters: Some(*max_counters), ..Changed::default() })
        }
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/budgets`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocateBudget {
    purchaser: u64,
    fiscal_year: i32,
    project: String,
    line_code: String,
    amount: String,
}

/// `POST /api/v1/budgets`: opens a budget line (预算指标) for a purchasing unit.
#[utoipa::path(post, path = "/api/v1/budgets", request_body = AllocateBudget, tag = "budgets",
    responses((status = 201, description = "Opened", body = Operated), (status = 403, description = "Operators only")))]
pub async fn allocate_budget(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<AllocateBudget>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    let allocation = Allocation {
        purchaser: ParticipantId(b.purchaser),
        fiscal_year: b.fiscal_year,
        project: b.project,
        line_code: b.line_code,
        amount: parsed("amount", &b.amount)?,
    };
    operate(&state, &session, &headers, OPERATOR, Action::AllocateBudget(allocation), |e| match e {
        Event::BudgetLineOpened { line, .. } => {
            Some(Changed { line: Some(line.0), ..Changed::default() })
        }
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/budgets/{id}/adjust`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustBudget {
    /// The new allocated total, never below what is held, committed and paid.
    allocated: String,
    reason: String,
}

/// `POST /api/v1/budgets/{id}/adjust`: sets a line's allocation to a new total (追加调整).
#[utoipa::path(post, path = "/api/v1/budgets/{id}/adjust", request_body = AdjustBudget, tag = "budgets",
    params(("id" = u64, Path, description = "Budget line")),
    responses((status = 201, description = "Adjusted", body = Operated), (status = 422, description = "Below what is already spoken for")))]
pub async fn adjust_budget(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    super::body::Path(id): super::body::Path<u64>,
    Body(b): Body<AdjustBudget>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    let action = Action::AdjustBudget {
        line: BudgetLineId(id),
        allocated: parsed("allocated", &b.allocated)?,
        reason: b.reason,
    };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::BudgetAdjusted { line, allocated, .. } => Some(Changed {
            line: Some(line.0),
            allocated: Some(allocated.to_string()),
            ..Changed::default()
        }),
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/users`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterUser {
    participant: u64,
    login: String,
    password: String,
}

/// `POST /api/v1/users`: a user account of a participant; the password is hashed (argon2) here
/// and never journaled in the clear.
#[utoipa::path(post, path = "/api/v1/users", request_body = RegisterUser, tag = "reference",
    responses((status = 201, description = "Opened", body = Operated), (status = 409, description = "The login is taken")))]
pub async fn register_user(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<RegisterUser>,
) -> Result<(StatusCode, Json<Operated>), ApiError> {
    session.require(OPERATOR)?;
    super::accounts::policy(&b.login, &b.password)?;
    let hash = super::accounts::hash(b.password).await?;
    let action = Action::RegisterUser {
        participant: ParticipantId(b.participant),
        login: b.login,
        password_hash: hash,
    };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::UserRegistered { user, participant, login } => Some(Changed {
            user: Some(user.0),
            participant: Some(participant.0),
            login: Some(login.clone()),
            ..Changed::default()
        }),
        _ => None,
    })
    .await
}
