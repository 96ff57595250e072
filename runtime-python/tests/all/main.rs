//! Behaviour tests (being written with the issue).
