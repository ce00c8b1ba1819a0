//! The layering invariants of ARCHITECTURE.md, checked on the source text:
//! an upward or sideways import fails the build's tests.
//!
//! A forbidden external crate stands for its family: `tonic` also forbids
//! `tonic_types`, `tonic_health`, ..., `prost` forbids `prost_types` and
//! `prost_reflect`, `sea_orm` forbids `sea_orm_migration`. Paths are made
//! absolute before they are compared: `::tonic::`, `crm::store` and
//! `super::super::store` are the same names as `tonic` and `crate::store`.
//! That rows never leave the store is checked in `rows.rs`.

use std::fs;
use std::path::Path;

/// (layer folder or file, what it must never name)
const RULES: &[(&str, &[&str])] = &[
    (
        "domain",
        &[
            "tonic",
            "sea_orm",
            "prost",
            "crate::store",
            "crate::usecases",
            "crate::grpc",
            "crate::pb",
            "crate::app",
            "tokio",
        ],
    ),
    (
        "error.rs",
        &[
            "tonic",
            "sea_orm",
            "crate::store",
            "crate::usecases",
            "crate::grpc",
        ],
    ),
    (
        "store",
        &[
            "tonic",
            "prost",
            "crate::usecases",
            "crate::grpc",
            "crate::pb",
            "crate::app",
        ],
    ),
    (
        "usecases",
        &[
            "tonic",
            "sea_orm",
            "prost",
            "crate::grpc",
            "crate::pb",
            "crate::app",
        ],
    ),
    (
        "grpc",
        &["sea_orm", "crate::store", "crate::app", "crate::nats"],
    ),
    (
        "nats.rs",
        &["sea_orm", "tonic", "crate::store", "crate::app"],
    ),
    (
        "main.rs",
        &[
            "sea_orm",
            "tonic",
            "prost",
            "crate::store",
            "crate::usecases",
            "crate::grpc",
        ],
    ),
];

pub(crate) fn sources(path: &Path, found: &mut Vec<(String, String)>) {
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            sources(&entry.unwrap().path(), found);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        found.push((
            path.display().to_string(),
            fs::read_to_string(path).unwrap(),
        ));
    }
}

/// The statements of a source file (up to each `;`), comments dropped and
/// whitespace normalised, so an import spread over lines reads as one.
pub(crate) fn statements(text: &str) -> Vec<String> {
    let code: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("//"))
        .collect();
    code.join(" ")
        .split(';')
        .map(|statement| {
            statement
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace("{ ", "{")
                .replace(" }", "}")
                .replace(" ,", ",")
                .replace(", ", ",")
        })
        .collect()
}

pub(crate) fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `segment` appears in `text` as a whole path segment that starts
/// a path (not inside an identifier, not after another segment). With
/// `family`, `segment_anything` counts too (`tonic_types` for `tonic`).
fn starts_a_path(text: &str, segment: &str, family: bool) -> bool {
    text.match_indices(segment).any(|(i, _)| {
        let before = &text[..i];
        let after = &text[i + segment.len()..];
        let whole_before = !before.ends_with(|c: char| is_ident(c) || c == ':');
        let whole_after = after.is_empty()
            || [":", ",", "}", " ", "!"]
                .iter()
                .any(|end| after.starts_with(end))
            || (family && after.starts_with('_'));
        whole_before && whole_after
    })
}

/// `text` with every path made absolute: a leading `::` dropped, the
/// crate's own name (`crm::`) read as `crate::`, and `super::` chains
/// resolved against `module`, the path of the file's module.
fn absolute(text: &str, module: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let at_start = !out.ends_with(|c: char| is_ident(c) || c == ':' || c == '>');
        if at_start && rest.starts_with("::") {
            rest = &rest[2..];
            continue;
        }
        if at_start && rest.starts_with("crm::") {
            out.push_str("crate::");
            rest = &rest["crm::".len()..];
            continue;
        }
        if at_start && rest.starts_with("super::") {
            let mut depth = 0;
            while let Some(after) = rest.strip_prefix("super::") {
                depth += 1;
                rest = after;
            }
            out.push_str("crate::");
            for segment in &module[..module.len().saturating_sub(depth)] {
                out.push_str(segment);
                out.push_str("::");
            }
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The module path of a source file under src/: `grpc/events.rs` is
/// `[grpc, events]`, `grpc/mod.rs` is `[grpc]`, `main.rs` is `[]`.
fn module_of(relative: &str) -> Vec<&str> {
    let path = relative.trim_end_matches(".rs");
    let mut segments: Vec<&str> = path.split('/').collect();
    if matches!(segments.last(), Some(&("mod" | "main" | "lib"))) {
        segments.pop();
    }
    segments
}

/// The forbidden names a statement (already absolute) uses: an external
/// crate or its family at the start of a path, or a crate module as
/// `crate::m`, also inside `use crate::{..}` groups.
fn names_used<'a>(statement: &str, forbidden: &[&'a str]) -> Vec<&'a str> {
    forbidden
        .iter()
        .copied()
        .filter(|name| match name.strip_prefix("crate::") {
            Some(module) => {
                starts_a_path(statement, name, false)
                    || (statement.contains("crate::{")
                        && starts_a_path(&statement.replace("crate::{", "{ "), module, false))
            }
            None => starts_a_path(statement, name, true),
        })
        .collect()
}

/// Every forbidden name the file at `relative` (under src/) uses, with the
/// statement (made absolute) that uses it.
fn violations<'a>(relative: &str, text: &str, forbidden: &[&'a str]) -> Vec<(&'a str, String)> {
    let module = module_of(relative);
    let mut broken = Vec::new();
    for statement in statements(text) {
        let statement = absolute(&statement, &module);
        for name in names_used(&statement, forbidden) {
            broken.push((name, statement.clone()));
        }
    }
    broken
}

#[test]
fn no_layer_imports_a_layer_above_it_or_a_foreign_framework() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    for (layer, forbidden) in RULES {
        let mut files = Vec::new();
        sources(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "layer {layer} has no sources");
        for (file, text) in files {
            let file = relative_to(&src, &file);
            for (name, statement) in violations(&file, &text, forbidden) {
                broken.push(format!("{file}: names {name}: {statement}"));
            }
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

pub(crate) fn relative_to(src: &Path, file: &str) -> String {
    Path::new(file)
        .strip_prefix(src)
        .map_or_else(|_| file.to_owned(), |p| p.display().to_string())
}

#[test]
fn the_layering_check_sees_imports_in_every_form_and_nothing_else() {
    let forbidden = ["tonic", "prost", "sea_orm", "crate::grpc", "crate::store"];
    let found = |file: &str, text: &str| -> Vec<&str> {
        violations(file, text, &forbidden)
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    };
    let file = "usecases/events.rs";
    assert_eq!(found(file, "use crate::grpc::status;"), ["crate::grpc"]);
    assert_eq!(
        found(
            file,
            "use crate::{\n    error::Error,\n    grpc::status,\n};"
        ),
        ["crate::grpc"]
    );
    assert_eq!(found(file, "use crate::{grpc, domain};"), ["crate::grpc"]);
    assert_eq!(found(file, "let s = tonic::Status::ok(\"\");"), ["tonic"]);
    assert_eq!(found(file, "use tonic::{Request, Response};"), ["tonic"]);
    // A framework's family, and absolute paths:
    assert_eq!(found(file, "use prost_types::Timestamp;"), ["prost"]);
    assert_eq!(found(file, "use prost_reflect::DynamicMessage;"), ["prost"]);
    assert_eq!(found(file, "use tonic_types::StatusExt;"), ["tonic"]);
    assert_eq!(
        found(file, "use sea_orm_migration::MigratorTrait;"),
        ["sea_orm"]
    );
    assert_eq!(found(file, "let s = ::tonic::Status::ok(\"\");"), ["tonic"]);
    assert_eq!(
        found(file, "fn f(m: &::prost_types::Duration) {}"),
        ["prost"]
    );
    assert_eq!(found(file, "tonic::include_proto!(\"crm\");"), ["tonic"]);
    // The crate by its own name, and relative paths:
    assert_eq!(found(file, "use crm::store::Store;"), ["crate::store"]);
    assert_eq!(found(file, "use ::crm::store;"), ["crate::store"]);
    assert_eq!(
        found("grpc/events.rs", "use super::super::store::Store;"),
        ["crate::store"]
    );
    assert_eq!(
        found("grpc/events.rs", "use super::super::{error, store};"),
        ["crate::store"]
    );
    assert_eq!(found("grpc/mod.rs", "use super::store;"), ["crate::store"]);
    assert_eq!(
        found("domain/filter/typing.rs", "use super::super::super::grpc;"),
        ["crate::grpc"]
    );
    // Not imports of the forbidden names:
    assert!(found(file, "// use crate::grpc::status;").is_empty());
    assert!(found(file, "use tonicity::Wave;").is_empty());
    assert!(found(file, "use crate::domain::grpc_like::X;").is_empty());
    assert!(found(file, "let grpc = 1;").is_empty());
    assert!(found(file, "let crm_store = Vec::<u8>::new();").is_empty());
    assert!(found(file, "use super::{ListRequest, clock::Clock};").is_empty());
    assert!(found("usecases/events/stream.rs", "use super::super::resources;").is_empty());
    assert!(found("grpc/events.rs", "use super::super::domain::event::Event;").is_empty());
}
