#!/usr/bin/env python3
"""Generates the man pages polydm(1), polydm-agent(8) and polydm.profile(5).

There is no hand-kept copy: every page is made at build time from
  * the built CLI's own help (`polydm --help`, `polydm <command> --help`),
  * docs/cli.md (command details, exit codes, TLS/UI/JSON notes),
  * profiles/README.md (the profile format, for polydm.profile(5)),
  * the systemd unit's header comment (packaging/polydm-agent.service.in).
The CLI runs with a scratch $HOME and state directory; it is only asked for
help, which opens nothing.

usage: gen-manpages.py --polydm BIN --source DIR --unit FILE --out DIR
                       --version V [--date YYYY-MM-DD] [--profile-dir DIR]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile


# ---- roff helpers -------------------------------------------------------

def esc(text):
    """Escapes plain text for roff (no inline markup)."""
    text = text.replace("\\", "\\e")
    text = text.replace("-", "\\-")
    out = []
    for ch in text:
        out.append(ch if ord(ch) < 128 else "\\[u%04X]" % ord(ch))
    return "".join(out)


def inline(md):
    """Markdown inline markup (`code`, **bold**, *it*, [text](url)) to roff."""
    md = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", md)
    parts = re.split(r"(`[^`]*`|\*\*[^*]+\*\*)", md)
    out = []
    for p in parts:
        if p.startswith("`") and p.endswith("`") and len(p) >= 2:
            out.append("\\fB" + esc(p[1:-1].replace("\\|", "|")) + "\\fR")
        elif p.startswith("**") and p.endswith("**") and len(p) >= 4:
            out.append("\\fB" + esc(p[2:-2]) + "\\fR")
        else:
            p = esc(p.replace("\\|", "|"))
            p = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\\fI\1\\fR", p)
            out.append(p)
    return "".join(out)


def line_safe(s):
    """A roff text line must not start with '.' or "'" (a request)."""
    return "\\&" + s if s[:1] in (".", "'") else s


def para(lines):
    """One paragraph as one roff line (an inline span may cross lines)."""
    text = " ".join(l.strip() for l in lines if l.strip())
    return [line_safe(inline(text))] if text else []


def split_row(row):
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)]


def md_to_roff(md, top=".SH", sub=".SS", skip_title=True):
    """Block-level Markdown (headings, paragraphs, bullets, fenced code,
    tables) to roff.  Tables become tagged paragraphs: the first column is
    the tag, the others the text (a middle column in parentheses)."""
    out = []
    lines = md.splitlines()
    i = 0
    buf = []

    def flush():
        if buf:
            out.append(".PP")
            out.extend(para(buf))
            buf.clear()

    while i < len(lines):
        l = lines[i]
        if l.startswith("```"):
            flush()
            out.append(".PP")
            out.append(".EX")
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(line_safe(esc(lines[i])))
                i += 1
            out.append(".EE")
            i += 1
            continue
        if l.startswith("    ") and not buf and l.strip():
            flush()
            out.append(".PP")
            out.append(".EX")
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                if not lines[i].strip() and (i + 1 >= len(lines) or not lines[i + 1].startswith("    ")):
                    break
                out.append(line_safe(esc(lines[i][4:])))
                i += 1
            out.append(".EE")
            continue
        m = re.match(r"^(#+)\s+(.*)", l)
        if m:
            flush()
            level = len(m.group(1))
            if level == 1 and skip_title:
                i += 1
                continue
            title = m.group(2).strip()
            if level <= 2:
                out.append('%s "%s"' % (top, inline(title).upper() if top == ".SH" else inline(title)))
            else:
                out.append('%s "%s"' % (sub, inline(title)))
            i += 1
            continue
        if l.lstrip().startswith("|"):
            flush()
            header = split_row(l)
            i += 1
            if i < len(lines) and re.match(r"^\s*\|[\s:|-]+\|\s*$", lines[i]):
                i += 1
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                cells = split_row(lines[i])
                i += 1
                if len(cells) < 2:
                    continue
                tag = inline(cells[0])
                if len(cells) >= 3 and header and header[1].lower() in ("type",):
                    tag += " (" + inline(cells[1]) + ")"
                    rest = cells[2:]
                elif len(cells) >= 3:
                    rest = ["%s: %s" % (header[k] if k < len(header) else "", cells[k])
                            if k < len(cells) - 1 else cells[k]
                            for k in range(1, len(cells))]
                else:
                    rest = cells[1:]
                out.append(".TP")
                out.append(line_safe(tag))
                out.append(line_safe(inline(" ".join(rest))))
            continue
        m = re.match(r"^(\s*)[*-]\s+(.*)", l)
        if m:
            flush()
            item = [m.group(2)]
            i += 1
            while i < len(lines) and lines[i].startswith("  ") and lines[i].strip() \
                    and not re.match(r"^\s*[*-]\s+", lines[i]):
                item.append(lines[i])
                i += 1
            out.append(".IP \\(bu 2")
            out.extend(para(item))
            continue
        m = re.match(r"^\s*\d+\.\s+(.*)", l)
        if m:
            flush()
            num = l.strip().split(".")[0]
            item = [m.group(1)]
            i += 1
            while i < len(lines) and lines[i].startswith("   ") and lines[i].strip():
                item.append(lines[i])
                i += 1
            out.append(".IP %s. 4" % num)
            out.extend(para(item))
            continue
        if not l.strip():
            flush()
            i += 1
            continue
        buf.append(l)
        i += 1
    flush()
    return out


def help_to_roff(text):
    """A `--help` body: prose lines become a paragraph, option lines
    ("  --opt ARG   text", continued by deeper-indented lines) tagged
    paragraphs."""
    out = []
    prose = []
    opt = None

    def flush_prose():
        if prose:
            out.append(".PP")
            out.extend(line_safe(esc(p.strip())) for p in prose if p.strip())
            prose.clear()

    def flush_opt():
        nonlocal opt
        if opt:
            out.append(".TP")
            out.append(line_safe("\\fB" + esc(opt[0]) + "\\fR"))
            out.extend(line_safe(esc(t)) for t in opt[1] if t)
            opt = None

    for l in text.splitlines():
        m = re.match(r"^  (-\S.*?)(?:\s{2,}(.*))?$", l)
        if m:
            flush_prose()
            flush_opt()
            tag, desc = m.group(1).strip(), m.group(2) or ""
            if desc.startswith("-"):  # "--ca FILE  --cert FILE": all tag
                tag, desc = re.sub(r"\s{2,}", "  ", l.strip()), ""
            opt = (tag, [desc])
            continue
        if opt and re.match(r"^\s{4,}\S", l):
            opt[1].append(l.strip())
            continue
        flush_opt()
        if l.strip():
            prose.append(l)
        else:
            flush_prose()
    flush_prose()
    flush_opt()
    return out


# ---- inputs -------------------------------------------------------------

class Cli:
    def __init__(self, binary):
        self.binary = binary
        self.tmp = tempfile.mkdtemp(prefix="pdm-man-")
        self.env = dict(os.environ, HOME=self.tmp, LC_ALL="C",
                        POLYDM_STATE_DIR=os.path.join(self.tmp, "state"))

    def help(self, *words):
        r = subprocess.run([self.binary, *words, "--help"], env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        if r.returncode != 0:
            sys.exit("gen-manpages: %s %s --help: exit %d: %s" %
                     (self.binary, " ".join(words), r.returncode, r.stderr))
        return r.stdout


def parse_main_help(text):
    """(synopsis, tagline, global-options text, [(command, summary)])."""
    lines = text.splitlines()
    synopsis = lines[0].replace("usage: ", "", 1)
    tagline = next((l for l in lines if l.startswith("polydm ") and " - " in l), "")
    tagline = tagline.split(" - ", 1)[1] if tagline else ""
    gopts, cmds, mode = [], [], None
    for l in lines:
        if l.startswith("Global options:"):
            mode = "g"
            continue
        if l.startswith("Commands:"):
            mode = "c"
            continue
        if mode == "g":
            if not l.strip():
                mode = None
                continue
            gopts.append(l)
        elif mode == "c":
            m = re.match(r"^  (\S+(?: \S+)*?)\s{2,}(.*)$", l)
            if m:
                cmds.append((m.group(1), m.group(2)))
            elif not l.strip():
                mode = None
    return synopsis, tagline, "\n".join(gopts), cmds


def parse_cmd_help(text):
    """(synopsis, summary, body) of `polydm <command> --help`."""
    lines = text.splitlines()
    synopsis = lines[0].replace("usage: ", "", 1)
    rest = lines[1:]
    while rest and not rest[0].strip():
        rest.pop(0)
    summary = rest.pop(0) if rest else ""
    while rest and not rest[0].strip():
        rest.pop(0)
    return synopsis, summary, "\n".join(rest)


def md_sections(md):
    """{heading: text} of the '## ' sections; the text before the first
    one under ''."""
    secs, cur, buf = {}, "", []
    for l in md.splitlines():
        m = re.match(r"^##\s+(.*)", l)
        if m:
            secs[cur] = "\n".join(buf)
            cur, buf = m.group(1).strip(), []
        else:
            buf.append(l)
    secs[cur] = "\n".join(buf)
    return secs


def md_table(text):
    """The rows (as cell lists) of the first table in text, and the text
    before and after it."""
    lines = text.splitlines()
    start = next((k for k, l in enumerate(lines) if l.lstrip().startswith("|")), None)
    if start is None:
        return [], text, ""
    end = start
    while end < len(lines) and lines[end].lstrip().startswith("|"):
        end += 1
    rows = [split_row(l) for l in lines[start + 2:end]]
    return rows, "\n".join(lines[:start]), "\n".join(lines[end:])


def cli_md_details(cli_md):
    """{command name: its description in docs/cli.md's command table}."""
    rows, _, _ = md_table(md_sections(cli_md).get("Commands", ""))
    details = {}
    for cells in rows:
        if len(cells) < 2:
            continue
        # `status` / `trigger [--server ID]` names two commands.
        for code in re.findall(r"`([^`]*)`", cells[0]):
            words = []
            for w in code.split():
                if w.startswith(("-", "[")) or w.isupper() or "|" in w or w.endswith("..."):
                    break
                words.append(w)
            if words:
                details.setdefault(" ".join(words), cells[1])
    return details


# ---- pages --------------------------------------------------------------

def header(name, section, version, date, title):
    return ['.\\" Generated by docs/man/gen-manpages.py from the polydm --help',
            '.\\" texts, docs/cli.md and profiles/README.md; do not edit.',
            '.TH "%s" "%s" "%s" "polydm %s" "%s"' % (name.upper(), section, date,
                                                    version, title),
            # Left-aligned: long tokens (URIs, keys) cannot spoil justification.
            ".ad l"]


def env_vars(gopts):
    """ENVIRONMENT entries: the $VARIABLES the global options fall back to."""
    out = []
    opt = None
    for l in gopts.splitlines():
        m = re.match(r"^  (-[^\s,]+(?:, -[^\s,]+)*)", l)
        if m:
            opt = m.group(1).split(",")[-1].strip().split()[0]
        for var in re.findall(r"\$([A-Z_]+)", l):
            out.append((var, opt))
    return out


def page_polydm(cli, src, version, date):
    main = cli.help()
    synopsis, tagline, gopts, cmds = parse_main_help(main)
    cli_md = open(os.path.join(src, "docs", "cli.md"), encoding="utf-8").read()
    secs = md_sections(cli_md)
    details = cli_md_details(cli_md)
    r = header("polydm", "1", version, date, "polydm manual")
    r += [".SH NAME", "polydm \\- " + esc(tagline)]
    r += [".SH SYNOPSIS", ".B polydm", line_safe(esc(synopsis.split("polydm", 1)[1].strip()))]
    r += [".SH DESCRIPTION"]
    r += para(["polydm is the command line of the polydm OMA DM 1.2 client",
               "framework: it checks profiles and plugins, reads and edits the",
               "management tree as the local user, runs DM sessions and",
               "bootstraps, and runs the reference device agent",
               "(polydm-agent(8)).  A market profile (polydm.profile(5)) says",
               "which plugins run and how they decide who controls the device."])
    intro = secs.get("", "")
    intro = re.sub(r"```.*?```", "", intro, flags=re.S)
    _, intro_text, intro_after = md_table(intro)  # the table: EXIT STATUS
    r += md_to_roff(intro_text + "\n" + intro_after)
    r += [".SH OPTIONS"]
    r += help_to_roff(gopts)
    r += [".SH COMMANDS"]
    r += [".PP", "Each command also takes \\fB\\-\\-help\\fR; \\fBpolydm help\\fR"
          " \\fIcommand\\fR prints the same."]
    for name, summary in cmds:
        syn, summ, body = parse_cmd_help(cli.help(*name.split()))
        r.append(".SS \"%s\"" % esc(syn.replace("polydm [global options] ", "")))
        r.append(line_safe(esc(summ[:1].upper() + summ[1:]) + "."))
        if name in details and name != "agent":
            r += md_to_roff(details[name])
        r += help_to_roff(body)
        if name == "agent":
            r += para(["See polydm-agent(8)."])
    _, before, after = md_table(secs.get("Commands", ""))
    rows, _, _ = md_table(secs.get("", ""))
    r += [".SH NOTES"]
    r += md_to_roff(after)
    r += [".SH \"EXIT STATUS\""]
    for cells in rows:
        if len(cells) >= 2:
            r += [".TP", "\\fB%s\\fR" % esc(cells[0]), line_safe(inline(cells[1]))]
    r += [".SH ENVIRONMENT"]
    for var, opt in env_vars(gopts):
        r += [".TP", "\\fB%s\\fR" % esc(var),
              "default of \\fB%s\\fR." % esc(opt or "")]
    r += [".TP", "\\fBXDG_STATE_HOME\\fR",
          "when set, the default state directory is \\fI$XDG_STATE_HOME/polydm\\fR."]
    r += [".SH \"SEE ALSO\"", ".BR polydm\\-agent (8),", ".BR polydm.profile (5)"]
    return r


def page_agent(cli, src, unit, version, date):
    cli_md = open(os.path.join(src, "docs", "cli.md"), encoding="utf-8").read()
    details = cli_md_details(cli_md)
    syn, summary, body = parse_cmd_help(cli.help("agent"))
    r = header("polydm-agent", "8", version, date, "System administration")
    r += [".SH NAME", "polydm\\-agent \\- " + esc(summary)]
    r += [".SH SYNOPSIS", ".B polydm", line_safe(esc(syn.split("polydm", 1)[1].strip()))]
    r += [".SH DESCRIPTION"]
    r += help_to_roff(body)
    if "agent" in details:
        r += md_to_roff(details["agent"])
    r += [".SH \"CONTROL COMMANDS\"",
          ".PP", "These commands talk to the running agent (same"
          " \\fB\\-\\-state\\fR):"]
    for name in ("status", "trigger", "alert"):
        s2, summ2, body2 = parse_cmd_help(cli.help(name))
        r.append(".SS \"%s\"" % esc(s2.replace("polydm [global options] ", "")))
        r.append(line_safe(esc(summ2[:1].upper() + summ2[1:]) + "."))
        if name in details:
            r += md_to_roff(details[name])
        r += help_to_roff(body2)
    r += [".SH SYSTEMD", ".PP",
          "The \\fBpolydm\\fR package installs \\fBpolydm\\-agent.service\\fR:"]
    comment = []
    for l in open(unit, encoding="utf-8"):
        if not l.startswith("#"):
            break
        comment.append(l[1:].rstrip("\n"))
    body_lines, code = [], []
    for l in comment[1:]:
        if l.startswith("   "):
            code.append(l[3:])
            continue
        if code:
            body_lines.append("```\n" + "\n".join(code) + "\n```")
            code = []
        body_lines.append(l.strip())
    if code:
        body_lines.append("```\n" + "\n".join(code) + "\n```")
    r += md_to_roff("\n".join(body_lines))
    r += [".SH FILES",
          ".TP", "\\fI/var/lib/polydm\\fR",
          "state directory of the service (store, audit segments, queue);",
          "the control socket is \\fIagent.sock\\fR in it.",
          ".SH \"SEE ALSO\"", ".BR polydm (1),", ".BR polydm.profile (5),",
          ".BR systemd.exec (5)"]
    return r


def page_profile(cli, src, version, date, profile_dir):
    md = open(os.path.join(src, "profiles", "README.md"), encoding="utf-8").read()
    r = header("polydm.profile", "5", version, date, "File formats")
    r += [".SH NAME", "polydm.profile \\- polydm market profile file format"]
    r += [".SH SYNOPSIS", ".I %s/*.profile" % esc(profile_dir)]
    r += [".SH DESCRIPTION"]
    r += md_to_roff(md)
    r += [".SH \"SEE ALSO\"", ".BR polydm (1),", ".BR polydm\\-agent (8)"]
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--polydm", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--unit", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--date", default="")
    ap.add_argument("--profile-dir", default="/usr/share/polydm/profiles")
    a = ap.parse_args()
    cli = Cli(a.polydm)
    os.makedirs(a.out, exist_ok=True)
    pages = {
        "polydm.1": page_polydm(cli, a.source, a.version, a.date),
        "polydm-agent.8": page_agent(cli, a.source, a.unit, a.version, a.date),
        "polydm.profile.5": page_profile(cli, a.source, a.version, a.date,
                                         a.profile_dir),
    }
    for name, lines in pages.items():
        with open(os.path.join(a.out, name), "w", encoding="ascii") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
