//! The web app (in progress).
