//! One error type for everything a user can get wrong or the environment can refuse.
//! Every variant maps to exit code 2 (see [`crate::verdict::Decision::exit_code`] for 0, 1, 3).

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag or argument combination that cannot work.
    #[error("{0}")]
    Usage(String),
    /// An input file that cannot be used as given: names the file and says how to fix it.
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    /// A policy file problem: names the file and the key (and line where TOML gives one).
    #[error("policy {path}: {message}")]
    Policy { path: String, message: String },
    /// Writing an output failed.
    #[error("cannot write {path}: {source}")]
    Output { path: String, source: std::io::Error },
}

impl Error {
    pub fn input(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Error::Input { path: path.as_ref().display().to_string(), message: message.into() }
    }
    pub fn output(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Output { path: path.as_ref().display().to_string(), source }
    }
    /// Process exit code for this error: always 2 (usage or input error).
    pub fn exit_code(&self) -> i32 {
        2
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
