//! Mail: notifications rendered from template files (minijinja), zh-CN by default and English
//! per person, multipart text + HTML, with a Message-ID stable across retries; sent through a
//! transport chosen in settings (`file`, `smtp`, or in memory for tests).

pub mod auth;
pub mod imap;
pub mod inbound;
pub mod listener;
pub mod nesting;
pub mod reply;
pub mod screen;
pub mod transport;

use minijinja::{Environment, context};
use serde::Serialize;
use std::sync::OnceLock;
use workflows::catalog::Lang;
use workflows::engine::Template;

/// What a notification says, before it is rendered.
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// Who it is for (姓名).
    pub recipient: String,
    /// The request's title.
    pub title: String,
    /// The workflow's name.
    pub workflow: String,
    /// The submitter's name.
    pub submitter: String,
    /// The submitter's department.
    pub department: Option<String>,
    /// The step concerned.
    pub step: Option<String>,
    /// Due time, already formatted in Asia/Shanghai.
    pub due: Option<String>,
    /// Outcome label, for a finished request.
    pub outcome: Option<String>,
    /// Link to the request.
    pub link: String,
    /// The decision confirmed (【已办理】), with its channel.
    pub decision: Option<String>,
    /// The comment that went with it.
    pub comment: Option<String>,
    /// What that comment is called (意见, or the step's `comment_label:` such as 书面报告);
    /// `None`: 意见 / Comment.
    pub comment_heading: Option<String>,
    /// One-click action links (a task mail).
    pub actions: Vec<ActionLink>,
    /// The first-line words a reply may use, when replying decides (a task mail).
    pub reply: Option<String>,
    /// What the reply's lines below the first carry when the step names its comment
    /// (`comment_label:`, e.g. 书面报告（必填）); `None`: an opinion (意见).
    pub reply_comment: Option<String>,
    /// How many days the links work.
    pub valid_days: i64,
    /// A last paragraph.
    pub note: Option<String>,
    /// The request's form as people read it (label, value; long values cut), see
    /// [`crate::labels::form_fields`].
    pub fields: Vec<Field>,
}

/// One form field in a mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The field's label, e.g. 文种.
    pub label: String,
    /// Its value as people read it, e.g. 请示.
    pub value: String,
}

/// A button in a task mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionLink {
    /// 同意, 驳回…
    pub label: String,
    /// The link.
    pub url: String,
    /// The button's colour.
    pub color: &'static str,
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject, e.g. `【待审批】…`.
    pub subject: String,
    /// Plain text part.
    pub text: String,
    /// HTML part.
    pub html: String,
}

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut e = Environment::new();
        for (name, src) in [
            ("body.zh.txt", include_str!("../../templates/mail/body.zh.txt")),
            ("body.en.txt", include_str!("../../templates/mail/body.en.txt")),
            ("body.zh.html", include_str!("../../templates/mail/body.zh.html")),
            ("body.en.html", include_str!("../../templates/mail/body.en.html")),
        ] {
            e.add_template(name, src).expect("the shipped mail templates parse");
        }
        e
    })
}

/// The subject tag and the opening sentence of each notification (domain.md §5).
fn wording(t: Template, lang: Lang) -> (&'static str, &'static str) {
    let zh = lang == Lang::Zh;
    match t {
        Template::TaskAssigned => (
            if zh { "【待审批】" } else { "[Action needed] " },
            if zh { "有一项事项等待您审批。" } else { "A matter is waiting for your decision." },
        ),
        Template::AckRequested => (
            if zh { "【备案】" } else { "[For the record] " },
            if zh {
                "有一项事项请您知悉备案。"
            } else {
                "A matter is filed with you: please acknowledge it."
            },
        ),
        Template::Reminder => (
            if zh { "【催办】" } else { "[Reminder] " },
            if zh { "提醒：以下事项尚待您办理。" } else { "Reminder: this matter still waits for you." },
        ),
        Template::Overdue => (
            if zh { "【逾期提醒】" } else { "[Overdue] " },
            if zh {
                "以下事项已超过办理时限，请尽快办理。"
            } else {
                "This matter is past its due time: please act now."
            },
        ),
        Template::TaskMoved => (
            if zh { "【已转交】" } else { "[Moved] " },
            if zh {
                "以下事项已由他人办理（转交或超时升级），您无需再处理。"
            } else {
                "This matter has moved to someone else (transfer or escalation); nothing more is needed from you."
            },
        ),
        Template::Copied => (
            if zh { "【抄送】" } else { "[Copy] " },
            if zh { "以下事项抄送给您，无需办理。" } else { "For your information; no action needed." },
        ),
        Template::Returned => (
            if zh { "【已退回】" } else { "[Returned] " },
            if zh {
                "您提交的事项已被退回，请修改后重新提交。"
            } else {
                "Your request was returned to you: please correct it and resubmit."
            },
        ),
        Template::Finished => (
            if zh { "【已办结】" } else { "[Finished] " },
            if zh { "您提交的事项已办结。" } else { "Your request is finished." },
        ),
        Template::Withdrawn => (
            if zh { "【已撤回】" } else { "[Withdrawn] " },
            if zh {
                "提交人已撤回以下事项，您无需再处理。"
            } else {
                "The submitter withdrew this matter; nothing more is needed from you."
            },
        ),
        Template::Confirmed => (
            if zh { "【已办理】" } else { "[Done] " },
            if zh {
                "您已办理以下事项，特此确认。"
            } else {
                "This confirms your decision on the matter below."
            },
        ),
        Template::Extended => (
            if zh { "【已延期】" } else { "[Extended] " },
            if zh {
                "以下事项的办理部门已申请延期，办理时限已顺延。"
            } else {
                "The office handling this matter took an extension: its due time moved."
            },
        ),
        Template::LateReport => (
            if zh { "【迟报】" } else { "[Late report] " },
            if zh {
                "您提交的事件报告晚于规定的报告时限，已记录在案。"
            } else {
                "Your report came later than the required time; this is on record."
            },
        ),
        Template::FollowUp => (
            if zh { "【续报】" } else { "[Follow-up] " },
            if zh {
                "以下事项有新的续报，请查阅。"
            } else {
                "A follow-up report was added to this matter."
            },
        ),
        Template::OverdueNotice => (
            if zh { "【督办】" } else { "[Overdue, for oversight] " },
            if zh {
                "以下事项已超过办理时限仍未办理，特告知您督促办理。"
            } else {
                "This matter is past its due time and still open: you are told so that you can follow it up."
            },
        ),
        Template::LeadTimeWarning => (
            if zh { "【提醒】" } else { "[Note] " },
            if zh {
                "您提交的事项晚于规定的提前期，已记录在案。"
            } else {
                "Your request came later than the required lead time; this is on record."
            },
        ),
    }
}

/// Renders a notification in `lang`.
pub fn render(t: Template, lang: Lang, c: &Content) -> Rendered {
    let (tag, lead) = wording(t, lang);
    let subject = format!("{tag}{}", c.title);
    body(lang, subject, lead, c)
}

/// Renders the body templates around `lead`.
fn body(lang: Lang, subject: String, lead: &str, c: &Content) -> Rendered {
    let ctx = context! {
        subject => &subject, lead => lead, recipient => &c.recipient, title => &c.title, workflow => &c.workflow,
        submitter => &c.submitter, department => &c.department, step => &c.step, due => &c.due,
        outcome => &c.outcome, link => &c.link, decision => &c.decision, comment => &c.comment, comment_heading => &c.comment_heading,
        actions => &c.actions, reply => &c.reply, reply_comment => &c.reply_comment, valid_days => c.valid_days,
        note => &c.note,
        fields => &c.fields,
    };
    let l = if lang == Lang::Zh { "zh" } else { "en" };
    let body = |kind: &str| {
        env().get_template(&format!("body.{l}.{kind}")).and_then(|t| t.render(&ctx)).unwrap_or_else(|e| format!("{e}"))
    };
    Rendered { subject, text: body("txt"), html: body("html") }
}

/// A login link (【登录】).
pub fn render_login(lang: Lang, recipient: &str, link: &str, minutes: i64) -> Rendered {
    let zh = lang == Lang::Zh;
    let subject =
        if zh { "【登录】联动登录链接".to_string() } else { "[Log in] Your Liandong login link".to_string() };
    let c = Content {
        recipient: recipient.into(),
        title: if zh { "登录联动" } else { "Log in to Liandong" }.into(),
        workflow: if zh { "账号" } else { "Account" }.into(),
        submitter: if zh { "联动（系统）" } else { "Liandong (system)" }.into(),
        link: link.into(),
        note: Some(if zh {
            format!("此链接 {minutes} 分钟内有效，仅可使用一次。如果不是您本人操作，请忽略本邮件。")
        } else {
            format!("The link works once, for {minutes} minutes. If you did not ask for it, ignore this mail.")
        }),
        ..Default::default()
    };
    let lead =
        if zh { "请点击下面的链接登录联动。" } else { "Open the link below to log in to Liandong." };
    body(lang, subject, lead, &c)
}

/// The answer to a reply that decided nothing (【未能识别】): what we read, and how to say it.
pub fn render_unclear(lang: Lang, c: &Content, first_line: &str) -> Rendered {
    let zh = lang == Lang::Zh;
    let subject = format!("{}{}", if zh { "【未能识别】" } else { "[Not understood] " }, c.title);
    let lead = if zh {
        format!(
            "我们收到了您的回复，但未能从第一行“{}”识别出办理意见，因此没有做任何办理。",
            first_line.chars().take(80).collect::<String>()
        )
    } else {
        format!(
            "We received your reply but could not read a decision from its first line “{}”, so nothing was done.",
            first_line.chars().take(80).collect::<String>()
        )
    };
    body(lang, subject, &lead, c)
}

/// The answer to a reply that approves (or acknowledges) a step whose reviewer fills fields
/// (a decision form, e.g. the offices chosen when a proposal is classified): a reply cannot fill
/// them, so nothing was done and the step is decided on the page (【请在页面办理】).
pub fn render_on_page(lang: Lang, c: &Content) -> Rendered {
    let zh = lang == Lang::Zh;
    let subject = format!("{}{}", if zh { "【请在页面办理】" } else { "[Decide on the page] " }, c.title);
    let lead = if zh {
        "我们收到了您的回复。此环节需要在办理时填写表单（如选择部门、评价），邮件回复无法填写，因此没有做任何办理。请打开下面的链接，在页面上填写并办理。"
    } else {
        "We received your reply. This step asks you to fill in a form when you decide (offices to choose, a rating), which a reply cannot do, so nothing was done. Open the link below and decide on the page."
    };
    body(lang, subject, lead, c)
}

/// Renders a periodic duty reminder (【提醒】…).
pub fn render_duty(lang: Lang, recipient: &str, title: &str, detail: &str, link: &str) -> Rendered {
    let zh = lang == Lang::Zh;
    let subject = format!("{}{title}", if zh { "【提醒】" } else { "[Reminder] " });
    let c = Content {
        recipient: recipient.into(),
        title: title.into(),
        workflow: if zh { "学生会工作提醒" } else { "Student union duty" }.into(),
        submitter: if zh { "联动（系统）" } else { "Liandong (system)" }.into(),
        link: link.into(),
        ..Default::default()
    };
    body(lang, subject, detail, &c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> Content {
        Content {
            recipient: "郭远子".into(),
            title: "计算机学院学生会关于召开第五次学生代表大会的请示".into(),
            workflow: "院系学生会重大事项请示报告".into(),
            submitter: "苏海琳".into(),
            department: Some("计算机学院".into()),
            step: Some("学院团组织审核".into()),
            due: Some("2025年9月30日 17:00".into()),
            outcome: None,
            link: "http://127.0.0.1:8080/requests/R1".into(),
            ..Default::default()
        }
    }

    #[test]
    fn subjects_follow_the_pattern_of_domain_md() {
        let r = render(Template::TaskAssigned, Lang::Zh, &content());
        assert_eq!(r.subject, "【待审批】计算机学院学生会关于召开第五次学生代表大会的请示");
        assert_eq!(
            render(Template::Overdue, Lang::Zh, &content()).subject,
            "【逾期提醒】计算机学院学生会关于召开第五次学生代表大会的请示"
        );
        assert_eq!(
            render(Template::Returned, Lang::Zh, &content()).subject,
            "【已退回】计算机学院学生会关于召开第五次学生代表大会的请示"
        );
        assert_eq!(
            render(Template::AckRequested, Lang::Zh, &content()).subject,
            "【备案】计算机学院学生会关于召开第五次学生代表大会的请示"
        );
    }

    #[test]
    fn bodies_carry_the_matter_the_due_time_and_the_link() {
        let r = render(Template::TaskAssigned, Lang::Zh, &content());
        for s in [
            "郭远子，您好",
            "提交人：苏海琳（计算机学院）",
            "环节：学院团组织审核",
            "办理时限：2025年9月30日 17:00（北京时间）",
            "查看详情：http://127.0.0.1:8080/requests/R1",
        ] {
            assert!(r.text.contains(s), "text has {s}:\n{}", r.text);
        }
        // minijinja escapes `/` in HTML as `&#x2f;`, which mail clients decode in the href
        assert!(
            r.html.contains("<a href=\"http:&#x2f;&#x2f;127.0.0.1:8080&#x2f;requests&#x2f;R1\">查看详情</a>"),
            "{}",
            r.html
        );
        let en = render(Template::TaskAssigned, Lang::En, &content());
        assert!(en.subject.starts_with("[Action needed] "));
        assert!(en.text.contains("Due: 2025年9月30日 17:00 (Beijing time)"));
    }

    #[test]
    fn html_is_escaped() {
        let mut c = content();
        c.title = "<script>alert(1)</script>".into();
        let r = render(Template::Copied, Lang::Zh, &c);
        assert!(!r.html.contains("<script>"), "{}", r.html);
    }
}
