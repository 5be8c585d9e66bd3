//! Build chores. `cargo xtask package` builds the handler for the Functions host's Linux x86_64
//! image and assembles the zip the host deploys: `host.json`, one folder per function with its
//! `function.json`, and the executable, all at the root.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{Parser, Subcommand};
use zip::write::SimpleFileOptions;

/// Statically linked, so it runs on whatever glibc the host image carries.
const DEFAULT_TARGET: &str = "x86_64-unknown-linux-musl";
/// Where function folders live in the repository.
const FUNCTIONS_DIR: &str = "functions";

#[cfg(test)]
mod infra;

#[derive(Parser)]
#[command(name = "xtask", about = "Build chores for Retail AI Advisor")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build the release binary and assemble the deployment zip.
    Package {
        /// The Rust target to build for.
        #[arg(long, default_value = DEFAULT_TARGET)]
        target: String,
        /// Where to write the zip.
        #[arg(long, default_value = "dist/advisor.zip")]
        out: PathBuf,
        /// Package this already-built executable instead of building one.
        #[arg(long)]
        binary: Option<PathBuf>,
    },
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Task::Package {
            target,
            out,
            binary,
        } => package(&target, &out, binary),
    };
    match result {
        Ok(report) => println!("{report}"),
        Err(message) => {
            eprintln!("xtask: {message}");
            std::process::exit(1);
        }
    }
}

fn package(target: &str, out: &Path, binary: Option<PathBuf>) -> Result<String, String> {
    let root = workspace_root();
    let binary = match binary {
        Some(path) => path,
        None => build_release(&root, target)?,
    };
    let out = if out.is_absolute() {
        out.to_owned()
    } else {
        root.join(out)
    };
    let entries = assemble(&root, &binary, &out)?;
    Ok(format!(
        "wrote {} ({} entries):\n  {}",
        out.display(),
        entries.len(),
        entries.join("\n  ")
    ))
}

fn workspace_root() -> PathBuf {
    // xtask/ sits directly under the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn build_release(root: &Path, target: &str) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .current_dir(root)
        .args(["build", "--release", "--locked", "--package", "functions"])
        .args(["--bin", "advisor", "--target", target])
        .status()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !status.success() {
        return Err(format!(
            "the release build failed ({status}). For {DEFAULT_TARGET} install the target and a \
             musl C compiler first: `rustup target add {DEFAULT_TARGET}` and \
             `sudo apt-get install musl-tools`"
        ));
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target_dir.join(target).join("release").join("advisor"))
}

/// Writes the zip the Functions host deploys and returns its entry names.
fn assemble(root: &Path, binary: &Path, out: &Path) -> Result<Vec<String>, String> {
    let host_json = read(&root.join("host.json"))?;
    let executable = executable_name(&host_json)?;
    let program = read(binary)?;
    check_linux_x86_64(binary, &program)?;
    let functions = function_folders(&root.join(FUNCTIONS_DIR))?;
    if functions.is_empty() {
        return Err(format!("no function folders under {FUNCTIONS_DIR}/"));
    }

    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let file = File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let file_options = SimpleFileOptions::default().unix_permissions(0o644);
    let mut entries = Vec::new();
    let mut add = |name: String, bytes: &[u8], mode: u32| -> Result<(), String> {
        zip.start_file(name.as_str(), file_options.unix_permissions(mode))
            .and_then(|()| zip.write_all(bytes).map_err(Into::into))
            .map_err(|e| format!("writing {name}: {e}"))?;
        entries.push(name);
        Ok(())
    };
    add("host.json".into(), &host_json, 0o644)?;
    for (name, function_json) in &functions {
        add(format!("{name}/function.json"), function_json, 0o644)?;
    }
    add(executable, &program, 0o755)?;
    zip.finish()
        .map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(entries)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(bytes)
}

/// The executable's name as host.json gives it: the zip must hold it at the root.
fn executable_name(host_json: &[u8]) -> Result<String, String> {
    let host: serde_json::Value =
        serde_json::from_slice(host_json).map_err(|e| format!("host.json: {e}"))?;
    let path = host
        .pointer("/customHandler/description/defaultExecutablePath")
        .and_then(|v| v.as_str())
        .ok_or("host.json has no customHandler.description.defaultExecutablePath")?;
    if path.contains('/') || path.contains('\\') || path.is_empty() {
        return Err(format!(
            "host.json's defaultExecutablePath `{path}` must be a bare file name at the app root"
        ));
    }
    Ok(path.to_owned())
}

/// The host image is Linux on x86_64: refuse to package anything else.
fn check_linux_x86_64(path: &Path, program: &[u8]) -> Result<(), String> {
    let elf = program.starts_with(b"\x7fELF");
    let class_64 = program.get(4) == Some(&2);
    let little_endian = program.get(5) == Some(&1);
    let x86_64 = program.get(18..20) == Some(&[0x3e, 0x00][..]);
    if elf && class_64 && little_endian && x86_64 {
        Ok(())
    } else {
        Err(format!(
            "{} is not a Linux x86_64 executable; the Functions host cannot run it",
            path.display()
        ))
    }
}

/// Every `functions/<Name>/function.json`, sorted by name.
fn function_folders(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut folders = Vec::new();
    let listing = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in listing {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let function_json = entry.path().join("function.json");
        if !function_json.is_file() {
            continue;
        }
        let bytes = read(&function_json)?;
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .map_err(|e| format!("{}: {e}", function_json.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        folders.push((name, bytes));
    }
    folders.sort();
    Ok(folders)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest header `check_linux_x86_64` accepts.
    fn fake_linux_x86_64_binary() -> Vec<u8> {
        let mut bytes = vec![0u8; 64];
        bytes[..4].copy_from_slice(b"\x7fELF");
        bytes[4] = 2;
        bytes[5] = 1;
        bytes[18] = 0x3e;
        bytes
    }

    #[test]
    fn the_zip_holds_host_json_every_function_folder_and_the_executable_at_its_root() {
        let root = workspace_root();
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("advisor");
        std::fs::write(&binary, fake_linux_x86_64_binary()).unwrap();
        let out = dir.path().join("out/advisor.zip");

        assemble(&root, &binary, &out).unwrap();

        let mut zip = zip::ZipArchive::new(File::open(&out).unwrap()).unwrap();
        let mut names: Vec<String> = (0..zip.len())
            .map(|i| zip.by_index(i).unwrap().name().unwrap().into_owned())
            .collect();
        names.sort();
        let mut expected = vec!["advisor".to_owned(), "host.json".to_owned()];
        for (name, _) in function_folders(&root.join(FUNCTIONS_DIR)).unwrap() {
            expected.push(format!("{name}/function.json"));
        }
        expected.sort();
        assert_eq!(names, expected);
        assert!(names.contains(&"Health/function.json".to_owned()));
        assert!(names.contains(&"IngestPartnerFile/function.json".to_owned()));

        let executable = zip.by_name("advisor").unwrap();
        assert_eq!(executable.unix_mode().map(|m| m & 0o777), Some(0o755));
        drop(executable);
        let mut host = String::new();
        zip.by_name("host.json")
            .unwrap()
            .read_to_string(&mut host)
            .unwrap();
        assert_eq!(host.as_bytes(), read(&root.join("host.json")).unwrap());
    }

    #[test]
    fn a_binary_for_another_platform_is_refused() {
        let root = workspace_root();
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("advisor");
        std::fs::write(&binary, b"MZ\x90\x00 a Windows program").unwrap();
        let err = assemble(&root, &binary, &dir.path().join("a.zip")).unwrap_err();
        assert!(err.contains("not a Linux x86_64 executable"), "{err}");
    }

    #[test]
    fn the_executable_name_comes_from_host_json_and_must_sit_at_the_root() {
        let host = br#"{"customHandler":{"description":{"defaultExecutablePath":"advisor"}}}"#;
        assert_eq!(executable_name(host).unwrap(), "advisor");
        let nested =
            br#"{"customHandler":{"description":{"defaultExecutablePath":"bin/advisor"}}}"#;
        assert!(executable_name(nested).is_err());
        assert!(executable_name(b"{}").is_err());
    }
}
