//! The step graph of a definition drawn as a standalone SVG, for the admin pages.
//!
//! [`render_svg`] lays the steps out top to bottom by hand (no external tools, no I/O): layers by
//! longest path from `start`, barycenter ordering against crossings, curved edges with arrowheads
//! and outcome labels. Approve steps are blue rounded boxes, acknowledgements teal, copies grey
//! sheets, a parallel step a fork bar with its branches fanning out to a join bar labelled with the
//! join rule, a switch a diamond with its cases on the edges, and each end a pill coloured by
//! outcome. Escalation ladders sit in orange beside their steps. The same input gives the same bytes.
//!
//! The pieces: `text` (phrases, escaping, width estimates), `node` (what each node says, its
//! size), `build` (definition → abstract diagram), `layout` (layers and coordinates), `order` (against crossings), `route`
//! (edge paths and label spots), `svg` and `draw` (the document).

mod build;
mod draw;
mod layout;
mod node;
mod order;
mod route;
mod svg;
mod text;

#[cfg(test)]
mod tests;

use crate::catalog::Lang;
use crate::model::Definition;

/// Draws the step graph of `def` as a standalone SVG document, with its texts in `lang`.
pub fn render_svg(def: &Definition, lang: Lang) -> String {
    let diagram = build::diagram(def, lang);
    let layout = layout::layout(&diagram, svg::MARGIN, svg::MARGIN + svg::HEADING_H);
    svg::write(&diagram, &layout, &def.key, lang)
}
