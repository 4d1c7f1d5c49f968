//! The Liandong daemon: settings, start-up, use cases, the HTTP API.

pub mod app;
pub mod http;
pub mod jobs;
pub mod labels;
pub mod mail;
pub mod redact;
pub mod settings;
pub mod startup;
pub mod web;
