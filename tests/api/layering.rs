//! The layering invariants of ARCHITECTURE.md, checked on the source text:
//! an upward or sideways import fails the build's tests.

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
];

fn sources(path: &Path, found: &mut Vec<(String, String)>) {
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
fn statements(text: &str) -> Vec<String> {
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

/// Whether `segment` appears in `text` as a whole path segment that starts
/// a path (not inside an identifier, not after another segment).
fn starts_a_path(text: &str, segment: &str) -> bool {
    text.match_indices(segment).any(|(i, _)| {
        let before = &text[..i];
        let after = &text[i + segment.len()..];
        let whole_before = !before.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':');
        let whole_after = after.is_empty()
            || [":", ",", "}", " "]
                .iter()
                .any(|end| after.starts_with(end));
        whole_before && whole_after
    })
}

/// The forbidden names a statement uses: an external crate at the start of a
/// path, or a crate module as `crate::m`, also inside `use crate::{..}` groups.
fn names_used<'a>(statement: &str, forbidden: &[&'a str]) -> Vec<&'a str> {
    forbidden
        .iter()
        .copied()
        .filter(|name| match name.strip_prefix("crate::") {
            Some(module) => {
                starts_a_path(statement, name)
                    || (statement.contains("crate::{")
                        && starts_a_path(&statement.replace("crate::{", "{ "), module))
            }
            None => starts_a_path(statement, name),
        })
        .collect()
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
            for statement in statements(&text) {
                for name in names_used(&statement, forbidden) {
                    broken.push(format!("{file}: names {name}: {statement}"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn the_layering_check_sees_imports_in_every_form_and_nothing_else() {
    let forbidden = ["tonic", "crate::grpc"];
    let found = |text: &str| -> Vec<&str> {
        statements(text)
            .iter()
            .flat_map(|s| names_used(s, &forbidden))
            .collect()
    };
    assert_eq!(found("use crate::grpc::status;"), ["crate::grpc"]);
    assert_eq!(
        found("use crate::{\n    error::Error,\n    grpc::status,\n};"),
        ["crate::grpc"]
    );
    assert_eq!(found("use crate::{grpc, store};"), ["crate::grpc"]);
    assert_eq!(found("let s = tonic::Status::ok(\"\");"), ["tonic"]);
    assert_eq!(found("use tonic::{Request, Response};"), ["tonic"]);
    // Not imports of the forbidden names:
    assert!(found("// use crate::grpc::status;").is_empty());
    assert!(found("use tonic_health::pb;").is_empty());
    assert!(found("use crate::domain::grpc_like::X;").is_empty());
    assert!(found("let grpc = 1;").is_empty());
}
