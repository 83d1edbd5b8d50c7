//! `photo3d bench`: runs each benchmark case in a child process of this
//! binary (so each peak memory figure is its own) and prints the table.

use crate::args::BenchArgs;
use crate::exit::exit_code;
use photo3d::bench::{best_of, cases, measure, table, Measurement};
use photo3d::Error;
use std::path::Path;
use std::process::ExitCode;

pub(crate) fn bench(args: BenchArgs) -> ExitCode {
    let result = match args.case {
        Some(index) => match cases(true).get(index) {
            Some(&case) => {
                measure(&args.photo, args.depth.as_deref(), case, args.frames).and_then(|m| {
                    serde_json::to_string(&m).map_err(|e| photo3d::Error::output(Path::new("-"), e))
                })
            }
            None => Err(photo3d::Error::input(&args.photo, "no such benchmark case")),
        }
        .map(|json| println!("{json}")),
        None => std::env::current_exe()
            .map_err(|e| photo3d::Error::input(Path::new("photo3d"), e))
            .and_then(|exe| {
                eprintln!(
                    "photo3d bench: {}{}, {} threads{}",
                    args.photo.display(),
                    args.depth
                        .as_ref()
                        .map_or(String::new(), |d| format!(" with {}", d.display())),
                    rayon::current_num_threads(),
                    match args.repeat {
                        1 => String::new(),
                        n => format!(", best of {n} runs per case"),
                    }
                );
                let mut results = Vec::new();
                for index in 0..cases(args.large).len() {
                    let frames = if index == 0 {
                        args.frames
                    } else {
                        args.large_frames
                    };
                    let runs = (0..args.repeat)
                        .map(|_| measure_in_child(&exe, &args, index, frames))
                        .collect::<Result<Vec<_>, _>>()?;
                    let m = best_of(runs).ok_or_else(|| {
                        Error::input(&args.photo, "no benchmark run (--repeat 0)")
                    })?;
                    if let Some(note) = &m.encode_note {
                        eprintln!("case {index}: no encode figure: {note}");
                    }
                    results.push(m);
                }
                print!("{}", table(&results));
                Ok(())
            }),
    };
    exit_code(result)
}

/// Runs case `index` of `cases(true)` in a fresh `exe bench --case` process,
/// so its peak memory is its own, and reads the measurement it prints.
fn measure_in_child(
    exe: &Path,
    args: &BenchArgs,
    index: usize,
    frames: usize,
) -> Result<Measurement, Error> {
    let photo = &args.photo;
    let mut command = std::process::Command::new(exe);
    command.arg("bench").arg(photo);
    if let Some(depth) = &args.depth {
        command.arg("--depth").arg(depth);
    }
    let output = command
        .args([
            "--case",
            &index.to_string(),
            "--frames",
            &frames.to_string(),
        ])
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| Error::input(exe, format!("cannot start the benchmark: {e}")))?;
    if !output.status.success() {
        return Err(Error::input(
            photo,
            format!("benchmark case {index} failed ({})", output.status),
        ));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| Error::input(exe, format!("unreadable benchmark result: {e}")))
}
