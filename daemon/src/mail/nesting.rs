//! A parsed mail whose nested messages are dropped one after another instead of recursively.
//!
//! mail-parser keeps a `message/rfc822` (or `message/global`) part as a whole [`Message`] inside
//! its parent, without a bound on the nesting (its state stack is on the heap, so parsing itself
//! does not recurse), and dropping a [`Message`] recurses once per level. A 220 KB mail of 5,000
//! nested messages overflowed a 256 KiB stack, and a mail of some megabytes would overflow any
//! thread's stack: a stack overflow aborts the whole daemon. Every part of the daemon that parses
//! outside mail goes through [`parse`].

use mail_parser::{Message, MessageParser, PartType};
use std::borrow::Cow;
use std::ops::Deref;

/// A [`Message`] that drops its nested messages iteratively (see the module docs).
#[derive(Debug)]
pub struct Flat<'x>(Message<'x>);

/// Parses `raw` like `MessageParser::default().parse(raw)` (None when it is not a mail at all).
pub fn parse(raw: &[u8]) -> Option<Flat<'_>> {
    MessageParser::default().parse(raw).map(Flat)
}

impl<'x> Deref for Flat<'x> {
    type Target = Message<'x>;

    fn deref(&self) -> &Message<'x> {
        &self.0
    }
}

impl Drop for Flat<'_> {
    fn drop(&mut self) {
        let mut pending = vec![std::mem::take(&mut self.0)];
        while let Some(mut m) = pending.pop() {
            for part in &mut m.parts {
                if let PartType::Message(_) = part.body {
                    let PartType::Message(inner) = std::mem::replace(&mut part.body, PartType::Text(Cow::Borrowed("")))
                    else {
                        continue;
                    };
                    pending.push(inner);
                }
            }
            // `m` now holds no nested message: dropping it does not recurse.
        }
    }
}

#[cfg(test)]
mod tests {
    /// 5,000 nested messages are parsed, read and dropped on a 256 KiB stack (before: overflow).
    #[test]
    fn nested_messages_drop_without_recursion() {
        let raw = format!(
            "From: a@example.edu.cn\r\nSubject: Re\r\n{}Content-Type: text/plain\r\n\r\n同意\r\n",
            "Content-Type: message/rfc822\r\n\r\nSubject: x\r\n".repeat(5000)
        );
        let read = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let msg = super::parse(raw.as_bytes()).expect("parses");
                msg.subject().map(String::from)
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(read.as_deref(), Some("Re"));
    }
}
