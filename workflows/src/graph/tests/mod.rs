//! Tests of the step graph: definitions built by hand (see `fixtures`), rendered and read back
//! as XML.

mod fixtures;

use super::render_svg;
use crate::catalog::{Label, Lang};
use crate::diag::Pos;
use crate::expr::Expr;
use crate::model::{Definition, Mode, Next, Outcome, ReturnTarget, SelectorKind, StepKind};
use fixtures::{always, definition, kitchen_sink, m1, on, sel, sp, step, task};

/// The concatenated text of every `<text>` under `node`.
fn texts(node: roxmltree::Node) -> Vec<String> {
    node.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.descendants().filter(|t| t.is_text()).filter_map(|t| t.text()).collect::<String>())
        .collect()
}

/// The `data-bbox` rectangles of every element with `attr`.
fn boxes(doc: &roxmltree::Document, class: &str) -> Vec<(String, [f64; 4])> {
    doc.descendants()
        .filter(|n| n.attribute("class").is_some_and(|c| c.split(' ').any(|w| w == class)))
        .filter_map(|n| {
            let b: Vec<f64> = n.attribute("data-bbox")?.split(' ').map(|v| v.parse().unwrap()).collect();
            let id = n
                .attribute("data-step")
                .or(n.attribute("data-ladder-of"))
                .or(n.attribute("data-join-of"))
                .unwrap_or("");
            Some((format!("{class} {id}"), [b[0], b[1], b[2], b[3]]))
        })
        .collect()
}

fn overlaps(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
}

fn node_texts(svg: &str, step: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let node =
        doc.descendants().find(|n| n.attribute("data-step") == Some(step)).unwrap_or_else(|| panic!("no node {step}"));
    texts(node)
}

fn ladder_texts(svg: &str, step: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let node = doc
        .descendants()
        .find(|n| n.attribute("data-ladder-of") == Some(step))
        .unwrap_or_else(|| panic!("no ladder {step}"));
    texts(node)
}

fn all_cases() -> Vec<(Definition, Lang)> {
    let mut cases = vec![(m1(), Lang::Zh), (m1(), Lang::En), (kitchen_sink(), Lang::Zh), (kitchen_sink(), Lang::En)];
    // Every shipped definition too.
    cases
        .extend(crate::builtin::builtin_definitions().into_iter().flat_map(|d| [(d.clone(), Lang::Zh), (d, Lang::En)]));
    cases
}

#[test]
fn parses_as_xml_with_one_node_per_step_and_its_label() {
    for (def, lang) in all_cases() {
        let svg = render_svg(&def, lang);
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let nodes: Vec<_> = doc.descendants().filter(|n| n.attribute("data-step").is_some()).collect();
        assert_eq!(nodes.len(), def.steps.len(), "{}", def.key);
        for step in &def.steps {
            let count = nodes.iter().filter(|n| n.attribute("data-step") == Some(step.name.as_str())).count();
            assert_eq!(count, 1, "{}", step.name);
            if let Some(label) = &step.label {
                // Wrapping may break a long label over lines.
                let squash = |s: &str| s.split_whitespace().collect::<String>();
                let all = squash(&node_texts(&svg, &step.name).join(""));
                assert!(all.contains(&squash(label.get(lang))), "{} lacks its label: {all}", step.name);
            }
        }
    }
}

#[test]
fn m1_nodes_say_who_how_and_when() {
    let zh = render_svg(&m1(), Lang::Zh);
    assert_eq!(
        node_texts(&zh, "league_review"),
        ["学院团组织审核", "学院团组织 · 书记", "或签 · 时限 3个工作日 · 提醒 50%、100%", "退回提交人"]
    );
    assert_eq!(node_texts(&zh, "school_su_ack"), ["备案 · 校学生会知悉", "提交人院系的联络人(M2)", "时限 1个工作日"]);
    assert_eq!(node_texts(&zh, "approved"), ["已通过"]);
    assert_eq!(node_texts(&zh, "rejected"), ["未通过"]);
    let en = render_svg(&m1(), Lang::En);
    // Long lines break between their parts.
    assert_eq!(
        node_texts(&en, "league_review"),
        [
            "League org review",
            "department League organisation",
            "secretary",
            "any one decides",
            "due in 3 working days",
            "remind at 50%, 100%",
            "return to submitter"
        ]
    );
    assert_eq!(node_texts(&en, "school_su_ack")[0], "ack · School SU informed");
}

#[test]
fn m1_join_bar_carries_the_join_rule() {
    let zh = render_svg(&m1(), Lang::Zh);
    let doc = roxmltree::Document::parse(&zh).unwrap();
    let join = doc.descendants().find(|n| n.attribute("data-join-of") == Some("report_both")).unwrap();
    assert_eq!(texts(join).join(""), "汇合 · college 决定，school_su 须知悉");
    let en = render_svg(&m1(), Lang::En);
    assert!(en.contains("college decides, school_su must acknowledge"));
    let sink = render_svg(&kitchen_sink(), Lang::Zh);
    for rule in ["2/3 通过", "任一通过", "全部通过"] {
        assert!(sink.contains(rule), "{rule}");
    }
    assert!(render_svg(&kitchen_sink(), Lang::En).contains("2 of 3 approve"));
}

#[test]
fn every_escalation_rung_is_drawn() {
    let zh = render_svg(&m1(), Lang::Zh);
    assert_eq!(ladder_texts(&zh, "league_review"), ["超时升级", "5个工作日 → 学院党组织 · 书记"]);
    assert_eq!(
        ladder_texts(&zh, "school_su_ack"),
        ["超时升级", "1个工作日 → 校级学生会组织 · 秘书长", "3个工作日 → 校团委 · 书记"]
    );
    let sink = render_svg(&kitchen_sink(), Lang::Zh);
    assert_eq!(ladder_texts(&sink, "draft_review")[2], "6个工作日 → 自动通过");
    let en = render_svg(&kitchen_sink(), Lang::En);
    assert_eq!(ladder_texts(&en, "draft_review").last().unwrap(), "6 working days → auto-approve");
}

#[test]
fn edges_have_arrowheads_and_outcome_labels() {
    for (def, lang) in all_cases() {
        let svg = render_svg(&def, lang);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let markers: Vec<&str> =
            doc.descendants().filter(|n| n.has_tag_name("marker")).filter_map(|n| n.attribute("id")).collect();
        let edges: Vec<_> =
            doc.descendants().filter(|n| n.attribute("data-edge").is_some() && n.has_tag_name("path")).collect();
        assert!(!edges.is_empty());
        for e in &edges {
            let m = e.attribute("marker-end").unwrap();
            let id = m.trim_start_matches("url(#").trim_end_matches(')');
            assert!(markers.contains(&id), "{m}");
        }
    }
    let zh = render_svg(&m1(), Lang::Zh);
    let doc = roxmltree::Document::parse(&zh).unwrap();
    let labels: Vec<String> =
        doc.descendants().filter(|n| n.attribute("class") == Some("edge-label")).map(|n| texts(n).join("")).collect();
    for l in ["通过", "驳回", "form.kind == 'report'", "否则", "college", "school_su"] {
        assert!(labels.iter().any(|x| x == l), "{l} not in {labels:?}");
    }
    assert!(texts(doc.root_element()).iter().any(|t| t == "退回提交人"));
    // Inside a branch, ends and steps without `next` flow into the join bar.
    let into_join = |from: &str| {
        doc.descendants()
            .any(|n| n.attribute("data-from") == Some(from) && n.attribute("data-to") == Some("report_both.join"))
    };
    for from in ["league_review", "party_approve", "party_ack", "school_su_ack"] {
        assert!(into_join(from), "{from} does not flow into the join");
    }
    // The join decides the request.
    assert!(
        doc.descendants()
            .any(|n| n.attribute("data-from") == Some("report_both.join")
                && n.attribute("data-to") == Some("approved"))
    );
    // A return to an earlier step is dashed; a long case is cut with the full text as a tooltip.
    let sink = render_svg(&kitchen_sink(), Lang::En);
    let doc = roxmltree::Document::parse(&sink).unwrap();
    let ret = doc.descendants().find(|n| n.attribute("class") == Some("edge return")).unwrap();
    assert_eq!((ret.attribute("data-from"), ret.attribute("data-to")), (Some("council"), Some("draft_review")));
    assert!(ret.attribute("stroke-dasharray").is_some());
    let long = "form.matter_type in ['sensitive_incident', 'emergency_incident'] && form.budget > 1000";
    let tip = doc.descendants().find(|n| n.has_tag_name("title") && n.text() == Some(long)).unwrap();
    let shown = texts(tip.parent().unwrap()).join("");
    assert!(shown.ends_with('…') && long.starts_with(shown.trim_end_matches('…')), "{shown}");
}

#[test]
fn no_two_boxes_overlap() {
    for (def, lang) in all_cases() {
        let svg = render_svg(&def, lang);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let mut all = boxes(&doc, "node");
        all.extend(boxes(&doc, "ladder"));
        all.extend(boxes(&doc, "edge-label"));
        assert!(all.len() > def.steps.len());
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!(!overlaps(&a.1, &b.1), "{} {lang:?}: {} {:?} overlaps {} {:?}", def.key, a.0, a.1, b.0, b.1);
            }
        }
        // Every drawn rectangle of a box is where its node says.
        for n in doc.descendants().filter(|n| n.attribute("data-bbox").is_some()) {
            if let Some(rect) = n.children().find(|c| c.has_tag_name("rect")) {
                let r: Vec<&str> = ["x", "y", "width", "height"].iter().map(|a| rect.attribute(*a).unwrap()).collect();
                assert_eq!(r.join(" "), n.attribute("data-bbox").unwrap());
            }
        }
        // Everything is inside the canvas.
        let w: f64 = doc.root_element().attribute("width").unwrap().parse().unwrap();
        let h: f64 = doc.root_element().attribute("height").unwrap().parse().unwrap();
        for (id, b) in &all {
            assert!(b[0] >= 0.0 && b[1] >= 0.0 && b[0] + b[2] <= w && b[1] + b[3] <= h, "{id} {b:?} outside {w}×{h}");
        }
    }
}

#[test]
fn special_characters_are_escaped() {
    let def = kitchen_sink();
    let svg = render_svg(&def, Lang::Zh);
    assert!(!svg.contains("<草稿>") && !svg.contains("<测试>"));
    assert!(svg.contains("初审 &lt;草稿&gt; &amp; &quot;格式&quot;"));
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(doc.descendants().find(|n| n.has_tag_name("title")).unwrap().text(), Some("全部构件 <测试> & \"引号\""));
    let en = render_svg(&def, Lang::En);
    assert!(en.contains("First review &lt;draft&gt; &amp;") && en.contains("&apos;format&apos;"));
    assert!(en.contains("form.kind == &apos;report&apos;"));
}

#[test]
fn the_same_definition_gives_the_same_bytes() {
    for (def, lang) in all_cases() {
        let a = render_svg(&def, lang);
        let b = render_svg(&def.clone(), lang);
        assert_eq!(a, b);
    }
}

#[test]
fn odd_definitions_still_draw() {
    // A loop through `reject` (not a return), a return to the step itself, a return to a later
    // step, a switch without `else`, an unknown target, an orphan end and an empty definition.
    let a = task(sel(SelectorKind::Submitter), Mode::Any);
    let steps = vec![
        step(
            "one",
            None,
            StepKind::Approve(a.clone()),
            on(Some("two"), Some("one"), Some(ReturnTarget::Step("one".into()))),
        ),
        step(
            "two",
            None,
            StepKind::Approve(a.clone()),
            on(Some("three"), Some("one"), Some(ReturnTarget::Step("three".into()))),
        ),
        step(
            "three",
            None,
            StepKind::Switch {
                cases: vec![(Expr::parse("true", Pos::default()).unwrap(), sp("done".to_string()))],
                default: None,
            },
            Next::None,
        ),
        step("lost", None, StepKind::Notify { who: vec![] }, always("nowhere")),
        step("done", None, StepKind::End(Outcome::Approved), Next::None),
        step("orphan", None, StepKind::End(Outcome::Withdrawn), Next::None),
    ];
    let defs = [
        definition("odd", Label::new("怪", "odd"), "one", steps),
        definition("empty", Label::default(), "missing", Vec::new()),
    ];
    for def in &defs {
        for lang in [Lang::Zh, Lang::En] {
            let svg = render_svg(def, lang);
            let doc = roxmltree::Document::parse(&svg).unwrap();
            let mut all = boxes(&doc, "node");
            all.extend(boxes(&doc, "edge-label"));
            for (i, a) in all.iter().enumerate() {
                for b in &all[i + 1..] {
                    assert!(!overlaps(&a.1, &b.1), "{}: {} overlaps {}", def.key, a.0, b.0);
                }
            }
            assert_eq!(doc.descendants().filter(|n| n.attribute("data-step").is_some()).count(), def.steps.len());
        }
    }
}
