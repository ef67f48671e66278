//! The one error type of every file a user writes for ccelab (topology
//! files, scenario files): `FILE:LINE:COLUMN: message`, or `FILE: message`
//! when no place in the file is to blame, so an editor can jump to it.

use std::path::Path;

/// An error at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct Located {
    /// `FILE:LINE:COLUMN`, or `FILE`.
    pub location: String,
    /// What is wrong there.
    pub message: String,
}

impl Located {
    /// An error at byte `offset` of `text`, the content of `path`.
    pub fn at(path: &Path, text: &str, offset: usize, message: impl Into<String>) -> Located {
        let (line, col) = position(text, offset);
        Located {
            location: format!("{}:{line}:{col}", path.display()),
            message: message.into(),
        }
    }

    /// An error about the file as a whole (it cannot be read, say).
    pub fn file(path: &Path, message: impl Into<String>) -> Located {
        Located {
            location: path.display().to_string(),
            message: message.into(),
        }
    }
}

/// Line and column (both from 1, columns in characters) of byte `offset` of `text`.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_count_lines_and_characters() {
        let t = "a = 1\nbé = x\n";
        assert_eq!(position(t, 0), (1, 1));
        assert_eq!(position(t, 6), (2, 1));
        assert_eq!(position(t, 9), (2, 3), "é is one character");
        assert_eq!(position(t, 8), (2, 2), "inside é: the character it starts");
        assert_eq!(
            Located::at(Path::new("f.toml"), t, 6, "bad").to_string(),
            "f.toml:2:1: bad"
        );
    }
}
