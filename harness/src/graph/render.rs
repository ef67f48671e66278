//! The trust graph as text: JSON, Graphviz DOT (for `dot -Tsvg`), and
//! ccelab's own SVG and HTML page, laid out without Graphviz: the hosts on
//! a circle in the topology's order, each edge a curve bent toward the
//! centre (and to its right, so that A → B and B → A stay apart) with an
//! arrow at the server, coloured by the client's verdict, and a dot of the
//! same colour on it; hovering an edge or a host shows its text (SVG
//! `<title>`).

use std::fmt::Write as _;

use super::{Graph, Verdict};

/// The colour of a verdict (the edge, its arrow and its dot).
pub fn colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Ok => "#1b8a3a",
        Verdict::Fail => "#d32f2f",
        Verdict::ClearText => "#8a8a8a",
    }
}

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An HTML page: the picture, then every edge and host in tables.
    Html,
    /// The picture alone.
    Svg,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
    /// The graph's data.
    Json,
}

/// `g` in `format`.
pub fn render(g: &Graph, format: Format) -> String {
    match format {
        Format::Html => html(g),
        Format::Svg => svg(g),
        Format::Dot => dot(g),
        Format::Json => serde_json::to_string_pretty(g).unwrap_or_default() + "\n",
    }
}

/// Escapes text for XML (SVG, HTML) content and attributes.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // XML 1.0 has no other control characters, nor U+FFFE/U+FFFF
            c if (c.is_control() && c != '\n' && c != '\t')
                || c == '\u{FFFE}'
                || c == '\u{FFFF}' =>
            {
                out.push('\u{FFFD}')
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a DOT double-quoted string (newlines as `\n`).
fn dot_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An edge's hover text: who calls whom for what, with which trust, and
/// what the client says.
pub fn edge_text(g: &Graph, i: usize) -> String {
    let Some(e) = g.edges.get(i) else {
        return String::new();
    };
    let t = &e.edge;
    let mut s = format!(
        "{} → {}:{} — {}\nclient: {}\ntrust: {}\n",
        t.from, t.name, t.port, t.purpose, t.client, t.store
    );
    match e.verdict {
        Verdict::Ok => s.push_str("accepted"),
        Verdict::ClearText => s.push_str(&t.text),
        Verdict::Fail => {
            let _ = write!(s, "refused: {}", t.text);
            for d in t.detail.iter().skip(1) {
                let _ = write!(s, "\n  caused by {d}");
            }
        }
    }
    if !t.codes.is_empty() {
        let _ = write!(s, "\nfailure modes of this edge: {}", t.codes.join(", "));
    }
    s
}

/// A host's hover text: its names, what it presents, what it trusts.
pub fn host_text(g: &Graph, i: usize) -> String {
    let Some(n) = g.hosts.get(i) else {
        return String::new();
    };
    let mut s = if n.in_lab {
        format!("{} ({}, {})", n.name, n.fqdn, n.address)
    } else if n.client_only {
        format!("{}: users' browsers, outside the lab", n.name)
    } else {
        format!("{}: no host of the lab answers to this name", n.name)
    };
    for l in &n.presents {
        let _ = write!(s, "\npresents on {} (asked for {}):", l.port, l.name);
        for c in &l.chain {
            let _ = write!(
                s,
                "\n  {} (issuer {}; until {}; SHA-1 {})",
                c.subject, c.issuer, c.not_after, c.thumbprint
            );
        }
    }
    for t in &n.trusts {
        let _ = write!(s, "\ntrusts: {t}");
    }
    s
}

/// Graphviz DOT: a node per host, an edge per connection, coloured by verdict.
pub fn dot(g: &Graph) -> String {
    let mut s = String::from("digraph trust {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (i, n) in g.hosts.iter().enumerate() {
        let label = if n.in_lab {
            format!("{}\n{}", n.name, n.fqdn)
        } else if n.client_only {
            format!("{}\n(browsers)", n.name)
        } else {
            format!("{}\n(not in the lab)", n.name)
        };
        let style = if n.in_lab {
            ""
        } else {
            ", style=\"rounded,dashed\""
        };
        let _ = writeln!(
            s,
            "  {} [label={}, tooltip={}{style}];",
            dot_str(&n.name),
            dot_str(&label),
            dot_str(&host_text(g, i))
        );
    }
    for (i, e) in g.edges.iter().enumerate() {
        let style = match e.verdict {
            Verdict::ClearText => "dashed",
            _ => "solid",
        };
        let width = if e.verdict == Verdict::Fail { 2.5 } else { 1.2 };
        let _ = writeln!(
            s,
            "  {} -> {} [color=\"{}\", style={style}, penwidth={width}, label={}, tooltip={}];",
            dot_str(&e.edge.from),
            dot_str(&e.to),
            colour(e.verdict),
            dot_str(&e.edge.port.to_string()),
            dot_str(&edge_text(g, i))
        );
    }
    s.push_str("}\n");
    s
}

/// A point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// x, in SVG user units (CSS pixels).
    pub x: f64,
    /// y.
    pub y: f64,
}

/// Where everything goes on the picture.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The picture's size.
    pub width: f64,
    /// Its height.
    pub height: f64,
    /// Each host's box centre, in the graph's host order.
    pub hosts: Vec<Point>,
    /// Each edge: its start, its control point, its end (at the hosts'
    /// boxes), and its dot.
    pub edges: Vec<EdgeShape>,
}

/// One edge's curve and dot.
#[derive(Clone, Copy, Debug)]
pub struct EdgeShape {
    /// Where it leaves the client's box.
    pub from: Point,
    /// The quadratic curve's control point.
    pub control: Point,
    /// Where it reaches the server's box.
    pub to: Point,
    /// The centre of its dot.
    pub dot: Point,
}

/// A host's box: half width and half height.
pub const BOX: (f64, f64) = (95.0, 22.0);
/// The radius of an edge's dot.
pub const DOT_RADIUS: f64 = 7.0;
const TOP: f64 = 70.0;

fn on_curve(a: Point, c: Point, b: Point, t: f64) -> Point {
    let u = 1.0 - t;
    Point {
        x: u * u * a.x + 2.0 * u * t * c.x + t * t * b.x,
        y: u * u * a.y + 2.0 * u * t * c.y + t * t * b.y,
    }
}

/// Where the ray from `centre` toward `toward` leaves the box around `centre`.
fn box_exit(centre: Point, toward: Point) -> Point {
    let (dx, dy) = (toward.x - centre.x, toward.y - centre.y);
    if dx == 0.0 && dy == 0.0 {
        return centre;
    }
    let sx = if dx == 0.0 {
        f64::INFINITY
    } else {
        BOX.0 / dx.abs()
    };
    let sy = if dy == 0.0 {
        f64::INFINITY
    } else {
        BOX.1 / dy.abs()
    };
    let s = sx.min(sy).min(1.0);
    Point {
        x: centre.x + dx * s,
        y: centre.y + dy * s,
    }
}

fn in_box(p: Point, centre: Point, margin: f64) -> bool {
    (p.x - centre.x).abs() <= BOX.0 + margin && (p.y - centre.y).abs() <= BOX.1 + margin
}

/// Lays `g` out: hosts on a circle, edges as curves, each edge's dot on
/// its curve where it overlaps no box and no other dot (as far as the
/// curve allows).
pub fn layout(g: &Graph) -> Layout {
    let n = g.hosts.len().max(1) as f64;
    // boxes 190 wide on the circle: enough circumference for each
    let r = (n * 230.0 / std::f64::consts::TAU).max(220.0);
    // at least as wide as the legend
    let (width, height) = (
        (2.0 * r + 2.0 * BOX.0 + 80.0).max(920.0),
        2.0 * r + 2.0 * BOX.1 + 80.0 + TOP,
    );
    let centre = Point {
        x: width / 2.0,
        y: TOP + (height - TOP) / 2.0,
    };
    let hosts: Vec<Point> = (0..g.hosts.len())
        .map(|i| {
            let a = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n;
            Point {
                x: centre.x + r * a.cos(),
                y: centre.y + r * a.sin(),
            }
        })
        .collect();
    let index = |name: &str| g.hosts.iter().position(|h| h.name == name);
    let mut dots: Vec<Point> = Vec::new();
    let mut edges = Vec::new();
    for e in &g.edges {
        let (Some(a), Some(b)) = (index(&e.edge.from), index(&e.to)) else {
            continue;
        };
        let (pa, pb) = (hosts[a], hosts[b]);
        let mid = Point {
            x: (pa.x + pb.x) / 2.0,
            y: (pa.y + pb.y) / 2.0,
        };
        let (dx, dy) = (pb.x - pa.x, pb.y - pa.y);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        // toward the centre, and 40 to the right of the direction of travel
        let control = Point {
            x: mid.x + (centre.x - mid.x) * 0.6 - dy / len * 40.0,
            y: mid.y + (centre.y - mid.y) * 0.6 + dx / len * 40.0,
        };
        let from = box_exit(pa, control);
        let to = box_exit(pb, control);
        let clear = |p: Point, dots: &[Point]| {
            hosts.iter().all(|h| !in_box(p, *h, DOT_RADIUS + 2.0))
                && dots
                    .iter()
                    .all(|d| (d.x - p.x).hypot(d.y - p.y) > 2.0 * DOT_RADIUS + 6.0)
        };
        let candidates = [0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.2, 0.8];
        let dot = candidates
            .iter()
            .map(|&t| on_curve(from, control, to, t))
            .find(|p| clear(*p, &dots))
            .unwrap_or_else(|| on_curve(from, control, to, 0.5));
        dots.push(dot);
        edges.push(EdgeShape {
            from,
            control,
            to,
            dot,
        });
    }
    Layout {
        width,
        height,
        hosts,
        edges,
    }
}

/// The picture as SVG: a legend, the edges (failed ones thicker), the
/// hosts, each with its hover text.
pub fn svg(g: &Graph) -> String {
    let l = layout(g);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="Helvetica, Arial, sans-serif" role="img" aria-label="ccelab trust graph">"#,
        w = l.width,
        h = l.height
    );
    s.push_str("<defs>\n");
    for v in [Verdict::Ok, Verdict::Fail, Verdict::ClearText] {
        let _ = writeln!(
            s,
            r#"<marker id="arrow-{}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{}"/></marker>"#,
            class(v),
            colour(v)
        );
    }
    s.push_str("</defs>\n");
    let _ = writeln!(
        s,
        r#"<rect x="0" y="0" width="{:.0}" height="{:.0}" fill="white"/>"#,
        l.width, l.height
    );
    // the legend
    let _ = writeln!(
        s,
        r#"<text x="20" y="26" font-size="15" font-weight="bold">Trust graph of {} at {}</text>"#,
        xml(&g.preset),
        xml(&g.at)
    );
    for (i, (v, label)) in [
        (Verdict::Ok, "the client accepts the server"),
        (Verdict::Fail, "the client refuses it (hover for its text)"),
        (Verdict::ClearText, "clear text: no certificate checked"),
    ]
    .iter()
    .enumerate()
    {
        let x = 20.0 + 300.0 * i as f64;
        let dash = if *v == Verdict::ClearText {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = writeln!(
            s,
            r#"<line x1="{x}" y1="46" x2="{}" y2="46" stroke="{}" stroke-width="3"{dash}/><text x="{}" y="50" font-size="12">{}</text>"#,
            x + 30.0,
            colour(*v),
            x + 38.0,
            xml(label)
        );
    }
    let index = |name: &str| g.hosts.iter().position(|h| h.name == name);
    let mut shapes = l.edges.iter();
    for (i, e) in g.edges.iter().enumerate() {
        if index(&e.edge.from).is_none() || index(&e.to).is_none() {
            continue;
        }
        let Some(sh) = shapes.next() else { break };
        let width = if e.verdict == Verdict::Fail { 3.5 } else { 2.0 };
        let dash = if e.verdict == Verdict::ClearText {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = writeln!(
            s,
            r#"<g class="edge {c}" data-from="{f}" data-to="{t}" data-port="{p}"><title>{title}</title><path d="M {:.1} {:.1} Q {:.1} {:.1} {:.1} {:.1}" fill="none" stroke="{col}" stroke-width="{width}"{dash} marker-end="url(#arrow-{c})"/><circle class="dot" cx="{:.1}" cy="{:.1}" r="{DOT_RADIUS}" fill="{col}" stroke="white" stroke-width="2"/></g>"#,
            sh.from.x,
            sh.from.y,
            sh.control.x,
            sh.control.y,
            sh.to.x,
            sh.to.y,
            sh.dot.x,
            sh.dot.y,
            c = class(e.verdict),
            f = xml(&e.edge.from),
            t = xml(&e.to),
            p = e.edge.port,
            col = colour(e.verdict),
            title = xml(&edge_text(g, i)),
        );
    }
    for (i, (n, p)) in g.hosts.iter().zip(&l.hosts).enumerate() {
        let (stroke, dash) = if n.in_lab {
            ("#37474f", "")
        } else if n.client_only {
            ("#37474f", r#" stroke-dasharray="5 3""#)
        } else {
            ("#d32f2f", r#" stroke-dasharray="5 3""#)
        };
        let second = if n.in_lab {
            n.fqdn.clone()
        } else if n.client_only {
            "browsers".into()
        } else {
            "not in the lab".into()
        };
        let _ = writeln!(
            s,
            r##"<g class="host" data-name="{name}"><title>{title}</title><rect x="{:.1}" y="{:.1}" width="{}" height="{}" rx="6" fill="white" stroke="{stroke}" stroke-width="1.5"{dash}/><text x="{:.1}" y="{:.1}" font-size="13" font-weight="bold" text-anchor="middle">{name}</text><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#455a64">{second}</text></g>"##,
            p.x - BOX.0,
            p.y - BOX.1,
            2.0 * BOX.0,
            2.0 * BOX.1,
            p.x,
            p.y - 3.0,
            p.x,
            p.y + 13.0,
            name = xml(&n.name),
            title = xml(&host_text(g, i)),
            second = xml(&second),
        );
    }
    s.push_str("</svg>\n");
    s
}

fn class(v: Verdict) -> &'static str {
    match v {
        Verdict::Ok => "ok",
        Verdict::Fail => "fail",
        Verdict::ClearText => "clear-text",
    }
}

/// The HTML page: the picture, then the edges (failed first) and the hosts
/// with what each presents and trusts.
pub fn html(g: &Graph) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>ccelab trust graph</title>\n<style>\nbody { font-family: Helvetica, Arial, sans-serif; margin: 0; padding: 0 16px 24px; color: #212121; }\nbody > svg { display: block; }\ntable { border-collapse: collapse; margin: 8px 0 20px; font-size: 13px; }\nth, td { border: 1px solid #cfd8dc; padding: 4px 8px; text-align: left; vertical-align: top; }\ntd.ok { color: #1b8a3a; } td.fail { color: #d32f2f; font-weight: bold; } td.clear-text { color: #616161; }\ncode { font-size: 12px; white-space: pre-wrap; }\n.edge:hover path { stroke-width: 6; }\n</style>\n</head>\n<body>\n",
    );
    s.push_str(&svg(g));
    let fails = g
        .edges
        .iter()
        .filter(|e| e.verdict == Verdict::Fail)
        .count();
    let _ = writeln!(
        s,
        "<h2>Connections</h2>\n<p id=\"summary\">{} connections, {} refused by their client.</p>",
        g.edges.len(),
        fails
    );
    s.push_str("<table id=\"edges\">\n<tr><th>client host</th><th>server</th><th>for</th><th>client</th><th>trust</th><th>verdict</th><th>what the client says</th></tr>\n");
    let mut order: Vec<usize> = (0..g.edges.len()).collect();
    order.sort_by_key(|&i| g.edges[i].verdict != Verdict::Fail);
    for i in order {
        let e = &g.edges[i];
        let t = &e.edge;
        let verdict = match e.verdict {
            Verdict::Ok => "accepted",
            Verdict::Fail => "refused",
            Verdict::ClearText => "clear text",
        };
        let mut said = xml(&t.text);
        for d in t.detail.iter().skip(1) {
            let _ = write!(said, "\ncaused by {}", xml(d));
        }
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}:{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{verdict}</td><td><code>{said}</code></td></tr>",
            xml(&t.from),
            xml(&t.name),
            t.port,
            xml(&t.purpose),
            xml(&t.client),
            xml(&t.store),
            class(e.verdict),
        );
    }
    s.push_str("</table>\n<h2>Hosts</h2>\n<table id=\"hosts\">\n<tr><th>host</th><th>presents</th><th>trusts</th></tr>\n");
    for n in &g.hosts {
        let mut presents = String::new();
        for l in &n.presents {
            let _ = write!(presents, "{}: ", l.port);
            let subjects: Vec<String> = l.chain.iter().map(|c| xml(&c.subject)).collect();
            let _ = write!(presents, "{}<br>", subjects.join(" ← "));
        }
        let name = if n.in_lab {
            format!("{} ({})", xml(&n.name), xml(&n.fqdn))
        } else if n.client_only {
            format!("{} (browsers)", xml(&n.name))
        } else {
            format!("{} (no host of the lab)", xml(&n.name))
        };
        let _ = writeln!(
            s,
            "<tr><td>{name}</td><td>{presents}</td><td>{}</td></tr>",
            n.trusts
                .iter()
                .map(|t| xml(t))
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }
    s.push_str("</table>\n</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(xml("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(xml("a\u{1}\u{FFFE}"), "a\u{FFFD}\u{FFFD}");
        assert_eq!(dot_str("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    }

    #[test]
    fn box_exit_is_on_the_box() {
        let c = Point { x: 100.0, y: 100.0 };
        let p = box_exit(c, Point { x: 400.0, y: 100.0 });
        assert_eq!(
            p,
            Point {
                x: 100.0 + BOX.0,
                y: 100.0
            }
        );
        let p = box_exit(c, Point { x: 100.0, y: 0.0 });
        assert_eq!(
            p,
            Point {
                x: 100.0,
                y: 100.0 - BOX.1
            }
        );
    }

    #[test]
    fn curve_ends_and_middle() {
        let (a, c, b) = (
            Point { x: 0.0, y: 0.0 },
            Point { x: 50.0, y: 100.0 },
            Point { x: 100.0, y: 0.0 },
        );
        assert_eq!(on_curve(a, c, b, 0.0), a);
        assert_eq!(on_curve(a, c, b, 1.0), b);
        assert_eq!(on_curve(a, c, b, 0.5), Point { x: 50.0, y: 50.0 });
    }
}
