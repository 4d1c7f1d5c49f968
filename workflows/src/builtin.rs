//! The built-in definitions of the ten measures (`workflows/definitions/*.yaml`), embedded.

use crate::model::Definition;

/// Every built-in definition: (file name, YAML text).
pub const BUILTIN: &[(&str, &str)] = &[
    ("activity_cohost.yaml", include_str!("../definitions/activity_cohost.yaml")),
    ("activity_undertaking.yaml", include_str!("../definitions/activity_undertaking.yaml")),
    ("annual_assessment.yaml", include_str!("../definitions/annual_assessment.yaml")),
    ("annual_work_report.yaml", include_str!("../definitions/annual_work_report.yaml")),
    ("class_major_matter_report.yaml", include_str!("../definitions/class_major_matter_report.yaml")),
    ("department_staff_selection.yaml", include_str!("../definitions/department_staff_selection.yaml")),
    ("duty_review.yaml", include_str!("../definitions/duty_review.yaml")),
    ("federation_annual_summary.yaml", include_str!("../definitions/federation_annual_summary.yaml")),
    ("incident_report.yaml", include_str!("../definitions/incident_report.yaml")),
    ("liaison_assignment.yaml", include_str!("../definitions/liaison_assignment.yaml")),
    ("major_matter_report.yaml", include_str!("../definitions/major_matter_report.yaml")),
    ("onboarding.yaml", include_str!("../definitions/onboarding.yaml")),
    ("proposal_handling.yaml", include_str!("../definitions/proposal_handling.yaml")),
    ("service_project.yaml", include_str!("../definitions/service_project.yaml")),
    ("staff_selection.yaml", include_str!("../definitions/staff_selection.yaml")),
    ("student_congress.yaml", include_str!("../definitions/student_congress.yaml")),
    ("support_request.yaml", include_str!("../definitions/support_request.yaml")),
    ("term_transition.yaml", include_str!("../definitions/term_transition.yaml")),
    ("training_filing.yaml", include_str!("../definitions/training_filing.yaml")),
];

/// The built-in definitions, parsed. A shipped file with an error is skipped (a test guarantees none has one).
pub fn builtin_definitions() -> Vec<Definition> {
    BUILTIN.iter().filter_map(|(_, text)| crate::validate::check_source(text).definition).collect()
}

/// One built-in definition by key.
pub fn builtin(key: &str) -> Option<Definition> {
    BUILTIN
        .iter()
        .find(|(f, _)| f.strip_suffix(".yaml") == Some(key))
        .and_then(|(_, text)| crate::validate::check_source(text).definition)
}
