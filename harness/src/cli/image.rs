//! `ccelab image build`: the image every host's container runs, FROM
//! scratch with a statically linked `ccelab` ([`crate::container::image`]).

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand};

use super::Failure;
use crate::container::image;

/// `ccelab image …`.
#[derive(Subcommand, Debug)]
pub(crate) enum ImageCommand {
    /// Build (and tag) the image from a static `ccelab`, with no registry:
    /// FROM scratch, the binary only. Prints its size and how long a
    /// container of it takes to start.
    Build(BuildArgs),
}

/// The options of `ccelab image build`.
#[derive(Args, Debug)]
pub(crate) struct BuildArgs {
    /// The static binary to put in the image (default: this one, if it is static).
    #[arg(long, value_name = "PATH")]
    binary: Option<PathBuf>,
    /// The image's tag.
    #[arg(long, default_value = crate::container::IMAGE)]
    tag: String,
}

/// Builds the image; Ok(0).
pub(crate) fn run(c: ImageCommand) -> Result<i32, Failure> {
    let ImageCommand::Build(a) = c;
    let binary = match a.binary {
        Some(b) => b,
        None => std::env::current_exe().map_err(|e| Failure::new("--binary", e))?,
    };
    crate::container::docker::daemon().map_err(|e| Failure::new("docker", e))?;
    let size = image::build(&binary, &a.tag).map_err(|e| match e {
        image::ImageError::Binary { path, problem } => Failure::file(&path, problem),
        other => Failure::new("docker", other),
    })?;
    // how long a container of it takes to start and exit
    let t = Instant::now();
    crate::container::docker::docker(&["run", "--rm", &a.tag, "--version"])
        .map_err(|e| Failure::new(&a.tag, e))?;
    let start_ms = t.elapsed().as_millis();
    out!(
        "ccelab: built {} from {} (FROM scratch): {:.1} MB; `docker run --rm {} --version` took {start_ms} ms",
        a.tag,
        binary.display(),
        size as f64 / 1e6,
        a.tag
    );
    Ok(0)
}
