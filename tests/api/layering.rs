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

/// Lines of code, without comments.
fn code(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("//"))
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
            for line in code(&text) {
                for name in *forbidden {
                    let used = line.contains(&format!("{name}::"))
                        || line.contains(&format!("use {name}"))
                        || line.contains(&format!("{name},"))
                        || line.contains(&format!("{name}}}"));
                    if used {
                        broken.push(format!("{file}: names {name}: {line}"));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn the_layering_check_catches_an_upward_import() {
    let text = "//! doc\nuse crate::grpc::status;\n";
    assert!(code(text).any(|line| line.contains("crate::grpc::")));
}
