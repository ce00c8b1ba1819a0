//! Each custom method of ComplaintService as a pure function of the stored
//! complaint, its parsed command and the time: the state machine
//! ([`Progress::apply`]) decides whether it is allowed; the function records
//! what it decided and returns the one step the change appends.
//! Commands are parsed (`parse`) before any transaction, so a missing part
//! is INVALID_ARGUMENT naming the field and nothing is written.

use serde::{Deserialize, Serialize};

use super::process::{Transition, UNREACHABLE_CALLBACKS_TO_CLOSE};
use super::steps::{StepDraft, StepKind};
use super::targets::WarningLevel;
use super::*;
use crate::domain::ClosedEnum;
use crate::domain::input::{optional_code, optional_text, required_code, required_text};
use crate::domain::resource::{Next, Resource, Timestamp};
use crate::error::{Error, Violations};

mod contact;

pub use contact::{Contact, record_contact};

const NOTE_CHARS: usize = 2000;

fn note(v: &mut Violations, text: &str) -> String {
    optional_text(v, "note", text, NOTE_CHARS)
}

/// Applies `transition` to the complaint, lets `edit` record what was
/// decided, and returns the next complaint with its one step.
fn advance(
    current: &Resource<Complaint>,
    transition: Transition,
    (kind, event): (StepKind, &'static str),
    note: String,
    decision: String,
    now: Timestamp,
    edit: impl FnOnce(&mut Complaint),
) -> Result<Next<Complaint>, Error> {
    let before = current.body.state();
    let mut body = current.body.clone();
    body.progress = body
        .progress
        .apply(transition, UNREACHABLE_CALLBACKS_TO_CLOSE)?;
    if !body.progress.is_open() {
        body.milestones.close_time = Some(now);
    }
    edit(&mut body);
    body.follow_clocks(Some(transition), now);
    let step = StepDraft {
        kind,
        state_before: Some(before),
        state_after: body.state(),
        note,
        decision,
    };
    Ok(Next {
        side: vec![step],
        ..Next::changed(body, event)
    })
}

/// The event kinds of a recorded warning.
pub const WARNING_RAISED: &str = "warning_raised";
pub const TARGET_BREACHED: &str = "target_breached";

/// The warning sweep's change: records the earliest level reached by now
/// and not yet recorded (DOMAIN.md section 5), as a step and a
/// `warning_raised` event, or `target_breached` at 100 %; unchanged when
/// no level is due. One level per change, so each event's complaint shows
/// the level it reports in `time_targets.last_warning`.
pub fn record_warning(
    current: &Resource<Complaint>,
    _: (),
    now: Timestamp,
) -> Result<Next<Complaint>, Error> {
    let mut body = current.body.clone();
    let warning = match &body.service_level {
        Some(level) => body.timing.record_next_warning(level, now),
        None => None,
    };
    let Some(w) = warning else {
        return Ok(Next::changed(body, crate::domain::event::UPDATED));
    };
    let (kind, event) = match w.level {
        WarningLevel::Breached => (StepKind::TargetBreached, TARGET_BREACHED),
        _ => (StepKind::WarningRaised, WARNING_RAISED),
    };
    let which = match w.number {
        0 => w.milestone.name().to_owned(),
        n => format!("{} {n}", w.milestone.name()),
    };
    let decision = format!(
        "{which} {} reached at {} (target {})",
        w.level.name(),
        w.reached_time,
        super::targets::describe_duration(w.target),
    );
    let step = StepDraft {
        kind,
        state_before: Some(body.state()),
        state_after: body.state(),
        note: String::new(),
        decision,
    };
    Ok(Next {
        side: vec![step],
        ..Next::changed(body, event)
    })
}

/// TriageComplaint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    pub note: String,
    pub judgement: Judgement,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Judgement {
    Valid {
        department: String,
    },
    Invalid {
        reason: InvalidReason,
        explanation: String,
    },
}

impl Triage {
    pub fn parse(
        note_text: &str,
        verdict: i32,
        department: &str,
        reason: i32,
        explanation: &str,
    ) -> Result<Self, Error> {
        let mut v = Violations::new();
        let note = note(&mut v, note_text);
        let verdict = required_code::<Verdict>(&mut v, "verdict", verdict);
        let judgement = match verdict {
            Some(Verdict::Valid) => required_text(&mut v, "handling_department", department, 200)
                .map(|department| Judgement::Valid { department }),
            Some(Verdict::Invalid) => {
                let reason = required_code(&mut v, "invalid_reason", reason);
                let explanation = required_text(&mut v, "explanation", explanation, NOTE_CHARS);
                reason
                    .zip(explanation)
                    .map(|(reason, explanation)| Judgement::Invalid {
                        reason,
                        explanation,
                    })
            }
            Some(Verdict::Undetermined) => {
                v.add("verdict", "must be VALID or INVALID");
                None
            }
            None => None,
        };
        let judgement = judgement.ok_or_else(|| std::mem::take(&mut v).into_error())?;
        v.finish()?;
        Ok(Triage { note, judgement })
    }
}

pub fn triage(
    current: &Resource<Complaint>,
    t: Triage,
    now: Timestamp,
) -> Result<Next<Complaint>, Error> {
    let valid = matches!(t.judgement, Judgement::Valid { .. });
    let decision = match &t.judgement {
        Judgement::Valid { department } => format!("valid; department {department}"),
        Judgement::Invalid { reason, .. } => format!("invalid; reason {}", reason.name()),
    };
    let step = (StepKind::Triaged, "triaged");
    advance(
        current,
        Transition::Triage { valid },
        step,
        t.note,
        decision,
        now,
        |c| {
            c.milestones.triage_time.get_or_insert(now);
            c.validity.judge_time = Some(now);
            match t.judgement {
                Judgement::Valid { department } => {
                    c.validity.verdict = Verdict::Valid;
                    c.validity.reason = None;
                    c.validity.explanation = String::new();
                    c.handling_department = department;
                }
                Judgement::Invalid {
                    reason,
                    explanation,
                } => {
                    c.validity.verdict = Verdict::Invalid;
                    c.validity.reason = Some(reason);
                    c.validity.explanation = explanation;
                }
            }
        },
    )
}

/// AssignComplaint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assign {
    pub note: String,
    pub department: String,
    pub assignee: String,
    pub supplier: Option<Supplier>,
    pub escalate: bool,
}

impl Assign {
    pub fn parse(
        note_text: &str,
        department: &str,
        assignee: &str,
        supplier: Option<(&str, &str)>,
        escalate: bool,
    ) -> Result<Self, Error> {
        let mut v = Violations::new();
        let note = note(&mut v, note_text);
        let department = optional_text(&mut v, "handling_department", department, 200);
        let assignee = optional_text(&mut v, "assignee", assignee, 200);
        let supplier = supplier.and_then(|(name, reference)| {
            let name = required_text(&mut v, "supplier.display_name", name, 200);
            let reference = optional_text(&mut v, "supplier.reference", reference, 100);
            name.map(|display_name| Supplier {
                display_name,
                reference,
            })
        });
        if department.is_empty() && assignee.is_empty() && supplier.is_none() && v.is_empty() {
            v.add(
                "handling_department",
                "one of handling_department, assignee or supplier is required",
            );
        }
        v.finish()?;
        Ok(Assign {
            note,
            department,
            assignee,
            supplier,
            escalate,
        })
    }
}

pub fn assign(
    current: &Resource<Complaint>,
    a: Assign,
    now: Timestamp,
) -> Result<Next<Complaint>, Error> {
    let mut decided = Vec::new();
    if a.escalate {
        decided.push("escalated".to_owned());
    }
    if !a.department.is_empty() {
        decided.push(format!("department {}", a.department));
    }
    if !a.assignee.is_empty() {
        decided.push(format!("assignee {}", a.assignee));
    }
    if let Some(s) = &a.supplier {
        decided.push(format!("supplier {}", s.display_name));
    }
    let step = (StepKind::Assigned, "assigned");
    advance(
        current,
        Transition::Assign,
        step,
        a.note,
        decided.join("; "),
        now,
        |c| {
            if !a.department.is_empty() {
                c.handling_department = a.department;
            }
            if !a.assignee.is_empty() {
                c.assignee = a.assignee;
            }
            if a.supplier.is_some() {
                c.supplier = a.supplier;
            }
        },
    )
}

/// A command with only a note: WaitOnCustomer, ResumeComplaint,
/// CloseComplaint, WithdrawComplaint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Noted {
    pub note: String,
}

impl Noted {
    pub fn parse(note_text: &str) -> Result<Self, Error> {
        let mut v = Violations::new();
        let note = note(&mut v, note_text);
        v.finish()?;
        Ok(Noted { note })
    }
}

pub fn wait_on_customer(
    current: &Resource<Complaint>,
    n: Noted,
    now: Timestamp,
) -> Result<Next<Complaint>, Error> {
    let step = (StepKind::WaitingOnCustomer, "paused_for_customer");
    advance(
        current,
        Transition::WaitOnCustomer,
        step,
        n.note,
        String::new(),
        now,
        |_| {},
    )
}

pub fn resume(
    current: &Resource<Complaint>,
    n: Noted,
    now: Timestamp,
) -> Result<Next<Complaint>, Error> {
    let step = (StepKind::Resumed, "resumed");
    advance(
        current,
        Transition::Resume,
        step,
        n.note,
        String::new(),
        now,
        |_| {},
    )
}

pub fn close(
    current: &Resource<Complaint>,
    n: Noted,
    now: Timestamp,
) -> Result<Next<Complaint>, Error> {
    let step = (StepKind::Closed, "closed");
    let decision = "closed after unreachable callbacks".to_owned();
    advance(
        current,
        Transition::Close,
        step,
        n.note,
        decision,
        now,
        |_| {},
    )
}

pub fn withdraw(
    current: &Resource<Complaint>,
    n: Noted,
    now: Timestamp,
) -> Result<Next<Complaint>, Error> {
    let step = (StepKind::Withdrawn, "withdrawn");
    let decision = "withdrawn by the customer".to_owned();
    advance(
        current,
        Transition::Withdraw,
        step,
        n.note,
        decision,
        now,
        |_| {},
    )
}

/// ResolveComplaint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolve {
    pub note: String,
    pub remedy: Remedy,
    pub root_cause: RootCause,
}

/// A remedy as sent: kind, amount in minor units, currency, note.
pub type RemedyInput<'a> = (i32, i64, &'a str, &'a str);

impl Resolve {
    pub fn parse(
        note_text: &str,
        remedy: Option<RemedyInput>,
        root_cause: Option<(i32, &str)>,
    ) -> Result<Self, Error> {
        let mut v = Violations::new();
        let note = note(&mut v, note_text);
        let remedy = match remedy {
            None => {
                v.add("remedy", "is required");
                None
            }
            Some((kind, amount, currency, remedy_note)) => {
                let kind = required_code::<RemedyKind>(&mut v, "remedy.kind", kind);
                let remedy_note = optional_text(&mut v, "remedy.note", remedy_note, NOTE_CHARS);
                let currency = currency.trim();
                let amount = match kind {
                    Some(RemedyKind::Compensation) => {
                        if amount <= 0 {
                            v.add(
                                "remedy.amount_minor",
                                "must be more than zero for COMPENSATION",
                            );
                        }
                        let valid_currency =
                            currency.len() == 3 && currency.chars().all(|c| c.is_ascii_uppercase());
                        if !valid_currency {
                            v.add("remedy.currency", "must be an ISO 4217 code such as CNY");
                        }
                        Some((amount, currency.to_owned()))
                    }
                    _ => {
                        if amount != 0 || !currency.is_empty() {
                            v.add("remedy.amount_minor", "is only for a COMPENSATION remedy");
                        }
                        None
                    }
                };
                kind.map(|kind| Remedy {
                    kind,
                    amount,
                    note: remedy_note,
                })
            }
        };
        let root_cause = match root_cause {
            None => {
                v.add("root_cause", "is required");
                None
            }
            Some((category, detail)) => {
                let category = required_code(&mut v, "root_cause.category", category);
                let detail = optional_text(&mut v, "root_cause.detail", detail, NOTE_CHARS);
                category.map(|category| RootCause { category, detail })
            }
        };
        match (remedy, root_cause) {
            (Some(remedy), Some(root_cause)) if v.is_empty() => Ok(Resolve {
                note,
                remedy,
                root_cause,
            }),
            _ => Err(v.into_error()),
        }
    }
}

pub fn resolve(
    current: &Resource<Complaint>,
    r: Resolve,
    now: Timestamp,
) -> Result<Next<Complaint>, Error> {
    let decision = format!(
        "remedy {}; root cause {}",
        r.remedy.kind.name(),
        r.root_cause.category.name()
    );
    let step = (StepKind::Resolved, "resolved");
    advance(
        current,
        Transition::Resolve,
        step,
        r.note,
        decision,
        now,
        |c| {
            c.remedy = Some(r.remedy);
            c.root_cause = Some(r.root_cause);
            c.milestones.resolve_times.push(now);
        },
    )
}

/// RecordCallback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Callback {
    pub note: String,
    pub outcome: CallbackOutcome,
    pub level: Option<SatisfactionLevel>,
}

impl Callback {
    /// The level must agree with the outcome: satisfied needs SATISFIED or
    /// VERY_SATISFIED, not satisfied NEUTRAL or below, unreachable none.
    pub fn parse(note_text: &str, outcome: i32, level: i32) -> Result<Self, Error> {
        use SatisfactionLevel as L;
        let mut v = Violations::new();
        let note = note(&mut v, note_text);
        let outcome = required_code::<CallbackOutcome>(&mut v, "outcome", outcome);
        let level = optional_code::<L>(&mut v, "satisfaction_level", level);
        let agrees = match (outcome, level) {
            (_, None) | (None, _) => true,
            (Some(CallbackOutcome::Satisfied), Some(l)) => {
                matches!(l, L::Satisfied | L::VerySatisfied)
            }
            (Some(CallbackOutcome::NotSatisfied), Some(l)) => {
                matches!(l, L::Neutral | L::Dissatisfied | L::VeryDissatisfied)
            }
            (Some(CallbackOutcome::Unreachable), Some(_)) => false,
        };
        if !agrees {
            v.add(
                "satisfaction_level",
                "must agree with the outcome: SATISFIED or VERY_SATISFIED when satisfied, NEUTRAL or below when not, none when unreachable",
            );
        }
        match outcome {
            Some(outcome) if v.is_empty() => Ok(Callback {
                note,
                outcome,
                level,
            }),
            _ => Err(v.into_error()),
        }
    }
}

pub fn record_callback(
    current: &Resource<Complaint>,
    c: Callback,
    now: Timestamp,
) -> Result<Next<Complaint>, Error> {
    let mut decision = format!("outcome {}", c.outcome.name());
    if let Some(level) = c.level {
        decision.push_str(&format!("; satisfaction {}", level.name()));
    }
    let step = (StepKind::CallbackRecorded, "callback_recorded");
    let transition = Transition::RecordCallback(c.outcome);
    advance(current, transition, step, c.note, decision, now, |b| {
        if c.outcome != CallbackOutcome::Unreachable {
            b.milestones.first_reached_callback.get_or_insert(c.outcome);
        }
        b.last_callback_outcome = Some(c.outcome);
        if c.level.is_some() {
            b.last_satisfaction_level = c.level;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resolution_without_remedy_names_the_remedy() {
        let Err(Error::InvalidArgument(found)) = Resolve::parse("", None, Some((1, ""))) else {
            panic!("expected INVALID_ARGUMENT");
        };
        let fields: Vec<&str> = found.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["remedy"]);
    }

    #[test]
    fn the_satisfaction_level_must_agree_with_the_outcome() {
        assert!(Callback::parse("", 1, 5).is_ok());
        assert!(Callback::parse("", 1, 3).is_err());
        assert!(Callback::parse("", 2, 3).is_ok());
        assert!(Callback::parse("", 2, 4).is_err());
        assert!(Callback::parse("", 3, 1).is_err());
        assert!(Callback::parse("", 3, 0).is_ok());
    }

    #[test]
    fn an_invalid_triage_needs_reason_and_explanation() {
        let Err(Error::InvalidArgument(found)) = Triage::parse("", 3, "", 0, "") else {
            panic!("expected INVALID_ARGUMENT");
        };
        let fields: Vec<&str> = found.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["invalid_reason", "explanation"]);
    }
}
