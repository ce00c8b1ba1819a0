//! Rows never leave the store (ARCHITECTURE.md), checked on the source
//! text: its entity modules are private, it re-exports no part of the row
//! mapping, and nothing outside it names the row vocabulary.

use std::path::Path;

use crate::layering::{is_ident, relative_to, sources, statements};

/// Names of the store's row vocabulary that no code outside it may use.
const ROW_NAMES: &[&str] = &[
    "to_row",
    "from_row",
    "DeriveEntityModel",
    "ActiveModel",
    "ActiveRow",
    "Table",
];

/// What the store's entity modules define; re-exporting any is a leak.
const ENTITY_NAMES: &[&str] = &["entity", "Entity", "Model", "Column", "Row", "Col"];

/// Whether `word` appears in `statement` as a whole identifier.
fn names_word(statement: &str, word: &str) -> bool {
    statement.match_indices(word).any(|(i, _)| {
        !statement[..i].ends_with(is_ident) && !statement[i + word.len()..].starts_with(is_ident)
    })
}

/// Each inline `mod name { .. }` block: its name, whether it is public in
/// any form (`pub`, `pub(crate)`, ..), and its text.
fn inline_modules(text: &str) -> Vec<(String, bool, &str)> {
    let mut found = Vec::new();
    for (i, _) in text.match_indices("mod ") {
        if text[..i].ends_with(is_ident) {
            continue;
        }
        let declared = text[..i].trim_end();
        let public = declared.ends_with("pub") || declared.ends_with(')');
        let head = &text[i + 4..];
        let Some(open) = head.find(|c: char| !is_ident(c)) else {
            continue;
        };
        let name = &head[..open];
        let Some(body) = head[open..].trim_start().strip_prefix('{') else {
            continue;
        };
        let mut depth = 1;
        let end = body
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(body.len(), |(end, _)| end);
        found.push((name.to_owned(), public, &body[..end]));
    }
    found
}

/// Ways rows could leave the store, in `files` as (path under src/, text):
/// a public module holding an entity, a re-export of the row mapping, or
/// code outside the store that names it.
fn rows_leaving(files: &[(String, String)]) -> Vec<String> {
    let mut leaks = Vec::new();
    let store_root = files
        .iter()
        .find(|(path, _)| path == "store/mod.rs")
        .map_or("", |(_, text)| text.as_str());
    let store_root = statements(store_root);
    for (path, text) in files {
        if let Some(file) = path.strip_prefix("store/") {
            let name = file.trim_end_matches(".rs");
            let modules = inline_modules(text);
            let top_level = modules
                .iter()
                .fold(text.clone(), |rest, (_, _, body)| rest.replace(body, ""));
            let declared_public = store_root.iter().any(|statement| {
                statement.starts_with("pub") && statement.ends_with(&format!("mod {name}"))
            });
            if declared_public && top_level.contains("DeriveEntityModel") {
                leaks.push(format!("{path}: an entity in a public module"));
            }
            for (module, public, body) in modules {
                if public && body.contains("DeriveEntityModel") {
                    leaks.push(format!("{path}: entity module {module} is public"));
                }
            }
            if path == "store/mod.rs" {
                for statement in store_root.iter().filter(|s| s.starts_with("pub use")) {
                    for name in ROW_NAMES
                        .iter()
                        .chain(ENTITY_NAMES)
                        .filter(|n| names_word(statement, n))
                    {
                        leaks.push(format!("{path}: re-exports {name}: {statement}"));
                    }
                }
            }
        } else {
            for statement in statements(text) {
                for name in ROW_NAMES {
                    if statement.match_indices(name).any(|(i, _)| {
                        !statement[..i].ends_with(is_ident)
                            && !statement[i + name.len()..].starts_with(is_ident)
                    }) {
                        leaks.push(format!("{path}: names {name}: {statement}"));
                    }
                }
            }
        }
    }
    leaks
}

#[test]
fn rows_never_leave_the_store() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let files: Vec<(String, String)> = files
        .into_iter()
        .map(|(file, text)| (relative_to(&src, &file), text))
        .collect();
    assert!(files.iter().any(|(path, _)| path == "store/mod.rs"));
    let leaks = rows_leaving(&files);
    assert!(
        leaks.is_empty(),
        "rows leave the store:\n{}",
        leaks.join("\n")
    );
}

#[test]
fn the_rows_check_sees_every_way_out_of_the_store() {
    let sources = |files: &[(&str, &str)]| -> Vec<(String, String)> {
        files
            .iter()
            .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
            .collect()
    };
    let entity = "#[derive(DeriveEntityModel)] pub struct Model { pub id: i64 }";
    let inline = |visibility: &str| {
        format!("{visibility} mod entity {{ {entity} }}\nuse entity::Entity;\npub fn f() {{}}")
    };
    let clean = [
        (
            "store/mod.rs",
            "mod customers;\npub mod events;\npub use resources::{get, list};",
        ),
        ("store/customers.rs", entity),
    ];
    assert_eq!(rows_leaving(&sources(&clean)), Vec::<String>::new());
    let private_inline = inline("");
    assert!(rows_leaving(&sources(&[clean[0], ("store/events.rs", &private_inline)])).is_empty());

    let leaks = |files: &[(&str, &str)]| rows_leaving(&sources(files));
    assert_eq!(
        leaks(&[
            ("store/mod.rs", "pub mod customers;"),
            ("store/customers.rs", entity)
        ]),
        ["store/customers.rs: an entity in a public module"]
    );
    assert_eq!(
        leaks(&[
            ("store/mod.rs", "pub(crate) mod customers;"),
            ("store/customers.rs", entity)
        ]),
        ["store/customers.rs: an entity in a public module"]
    );
    for visibility in ["pub", "pub(crate)", "pub(super)"] {
        let public_inline = inline(visibility);
        assert_eq!(
            leaks(&[clean[0], ("store/events.rs", &public_inline)]),
            ["store/events.rs: entity module entity is public"],
            "{visibility}"
        );
    }
    assert_eq!(
        leaks(&[("store/mod.rs", "pub use resources::{Table, get};")]),
        ["store/mod.rs: re-exports Table: pub use resources::{Table,get}"]
    );
    assert_eq!(
        leaks(&[("store/mod.rs", "pub use events::entity::Model;")]),
        [
            "store/mod.rs: re-exports entity: pub use events::entity::Model",
            "store/mod.rs: re-exports Model: pub use events::entity::Model"
        ]
    );
    assert_eq!(
        leaks(&[("usecases/resources.rs", "let row = T::to_row(&resource)?;")]),
        ["usecases/resources.rs: names to_row: let row = T::to_row(&resource)?"]
    );
    assert_eq!(
        leaks(&[("grpc/mod.rs", "use crate::store::Table;")]),
        ["grpc/mod.rs: names Table: use crate::store::Table"]
    );
    assert!(leaks(&[("grpc/mod.rs", "let table_row = from_rows(x);")]).is_empty());
}
