//! Words for the engine's values in zh-CN and English, shared by mail and pages.

use workflows::catalog::Lang;
use workflows::engine::{CancelReason, Channel, Decision};

/// 同意, 驳回…
pub fn decision(d: Decision, lang: Lang) -> &'static str {
    let zh = lang == Lang::Zh;
    match d {
        Decision::Approve => {
            if zh {
                "同意"
            } else {
                "Approved"
            }
        }
        Decision::Reject => {
            if zh {
                "驳回"
            } else {
                "Rejected"
            }
        }
        Decision::Return => {
            if zh {
                "退回"
            } else {
                "Returned"
            }
        }
        Decision::Acknowledge => {
            if zh {
                "已阅"
            } else {
                "Acknowledged"
            }
        }
    }
}

/// The button for a decision: 同意, 驳回, 退回, 已阅 / Approve, Reject, Return, Acknowledge.
pub fn verb(d: Decision, lang: Lang) -> &'static str {
    let zh = lang == Lang::Zh;
    match d {
        Decision::Approve => {
            if zh {
                "同意"
            } else {
                "Approve"
            }
        }
        Decision::Reject => {
            if zh {
                "驳回"
            } else {
                "Reject"
            }
        }
        Decision::Return => {
            if zh {
                "退回"
            } else {
                "Return"
            }
        }
        Decision::Acknowledge => {
            if zh {
                "已阅"
            } else {
                "Acknowledge"
            }
        }
    }
}

/// 邮件链接, 邮件回复…
pub fn channel(c: Channel, lang: Lang) -> &'static str {
    let zh = lang == Lang::Zh;
    match c {
        Channel::Api => {
            if zh {
                "接口"
            } else {
                "the API"
            }
        }
        Channel::Web => {
            if zh {
                "网页"
            } else {
                "the web"
            }
        }
        Channel::EmailLink => {
            if zh {
                "邮件链接"
            } else {
                "a mail link"
            }
        }
        Channel::EmailReply => {
            if zh {
                "邮件回复"
            } else {
                "a mail reply"
            }
        }
        Channel::Timer => {
            if zh {
                "定时规则"
            } else {
                "a timer"
            }
        }
        Channel::Cli => {
            if zh {
                "命令行"
            } else {
                "the command line"
            }
        }
        Channel::System => {
            if zh {
                "系统"
            } else {
                "the system"
            }
        }
    }
}

/// Why a task ended without its reviewer.
pub fn cancelled(r: CancelReason, lang: Lang) -> &'static str {
    let zh = lang == Lang::Zh;
    match r {
        CancelReason::StepDecided => {
            if zh {
                "该环节已由其他审批人办结"
            } else {
                "another reviewer decided the step"
            }
        }
        CancelReason::BranchEnded => {
            if zh {
                "所在分支已结束"
            } else {
                "its branch ended"
            }
        }
        CancelReason::Withdrawn => {
            if zh {
                "提交人已撤回该事项"
            } else {
                "the submitter withdrew the request"
            }
        }
        CancelReason::Returned => {
            if zh {
                "事项已退回提交人"
            } else {
                "the request was returned to its submitter"
            }
        }
        CancelReason::Escalated => {
            if zh {
                "已超时升级给他人办理"
            } else {
                "it was escalated to someone else"
            }
        }
        CancelReason::Transferred => {
            if zh {
                "已转交他人办理"
            } else {
                "it was transferred to someone else"
            }
        }
        CancelReason::DelegationEnded => {
            if zh {
                "委托已结束，已交还委托人办理"
            } else {
                "the delegation ended; it went back to the person who delegated"
            }
        }
    }
}
