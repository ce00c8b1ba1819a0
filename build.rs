//! Compiles proto/ with a pure-Rust parser (no system protoc) into OUT_DIR: the
//! generated messages and services, and the encoded descriptor set that serves
//! reflection and field-mask merging at run time.

use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let mut files: Vec<PathBuf> = fs::read_dir("proto/crm/v1")?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|path| path.extension().is_some_and(|ext| ext == "proto"));
    files.sort();

    let mut compiler = protox::Compiler::new(["proto"])?;
    // Imports stay in the set: prost-build needs them, and so does reflection.
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(&files)?;

    // This encoding keeps comments, which grpcurl `describe` shows.
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("crm_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    tonic_prost_build::configure()
        .generate_default_stubs(true)
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
