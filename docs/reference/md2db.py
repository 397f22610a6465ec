#!/usr/bin/env python3
"""md2db.py: turn one of the Markdown guides in docs/ into a DocBook refentry
that netring-docs.xml includes, so the guides and the API reference are one
document and the guides' function() and #Type mentions become links.

Uses gtk-doc's own Markdown converter (the one that renders doc comments), so
the guides follow the same dialect: fenced code blocks become |[ ]| blocks,
and pipe tables, which that converter lacks, are converted here.

    md2db.py INPUT.md OUTPUT.xml ID
"""
import os
import re
import shutil
import sys


def find_gtkdoc_python():
    mkdb = shutil.which('gtkdoc-mkdb')
    candidates = ['/usr/share/gtk-doc/python']
    if mkdb:
        with open(mkdb, encoding='utf-8') as f:
            m = re.search(r"sys\.path\.(?:insert|append)\((?:0, )?'([^']+)'\)", f.read())
            if m:
                candidates.insert(0, m.group(1))
        candidates.append(os.path.join(os.path.dirname(mkdb), '..', 'share', 'gtk-doc', 'python'))
    for c in candidates:
        if os.path.isdir(os.path.join(c, 'gtkdoc')):
            return c
    sys.exit('md2db.py: cannot find the gtkdoc Python package')


sys.path.insert(0, find_gtkdoc_python())
from gtkdoc import md_to_db  # noqa: E402

md_to_db.Init()


def escape(text):
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def inline(text):
    """Inline Markdown of a table cell: `code`, **strong**, *emphasis*."""
    out = md_to_db.MarkDownParse(text, '').strip()
    # MarkDownParse wraps a paragraph; a table cell takes the bare content
    out = re.sub(r'^<para>(.*)</para>$', r'\1', out, flags=re.S)
    return out


def table_to_docbook(rows):
    cells = [[c.strip() for c in r.strip().strip('|').split('|')] for r in rows]
    header, body = cells[0], [r for r in cells[2:]]
    n = len(header)
    out = ['<informaltable><tgroup cols="%d">' % n, '<thead><row>']
    out += ['<entry>%s</entry>' % inline(c) for c in header]
    out.append('</row></thead><tbody>')
    for r in body:
        out.append('<row>' + ''.join('<entry>%s</entry>' % inline(c) for c in r[:n]) + '</row>')
    out.append('</tbody></tgroup></informaltable>')
    return '\n'.join(out)


def convert(text, ident):
    lines = text.split('\n')
    title = ident
    if lines and lines[0].startswith('# '):
        title = lines[0][2:].strip()
        lines = lines[1:]

    body, tables = [], []
    i = 0
    in_code = False
    while i < len(lines):
        line = lines[i]
        fence = re.match(r'^```\s*(\w*)\s*$', line)
        if fence:
            if not in_code:
                lang = {'c': 'C', 'python': 'Python', 'py': 'Python', 'sh': 'shell',
                        'shell': 'shell', 'vala': 'Vala', 'js': 'JavaScript',
                        'meson': 'meson'}.get(fence.group(1).lower(), '')
                body.append('|[<!-- language="%s" -->' % lang if lang else '|[')
                in_code = True
            else:
                body.append(']|')
                in_code = False
            i += 1
            continue
        if in_code:
            body.append(line)
            i += 1
            continue
        # one heading level up: the guide's title is the refentry's, so
        # "##" sections become the top sections inside it
        if line.startswith('##'):
            line = line[1:]
        if (line.lstrip().startswith('|') and i + 1 < len(lines)
                and re.match(r'^\s*\|?\s*:?-{3,}', lines[i + 1])):
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith('|'):
                rows.append(lines[i])
                i += 1
            tables.append(table_to_docbook(rows))
            body.extend(['', 'NRTABLEPLACEHOLDER%d' % (len(tables) - 1), ''])
            continue
        body.append(line)
        i += 1

    db = md_to_db.MarkDownParse('\n'.join(body), '')
    for n, table in enumerate(tables):
        db = re.sub(r'<para>\s*NRTABLEPLACEHOLDER%d\s*</para>' % n, lambda _m: table, db)

    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE refentry PUBLIC "-//OASIS//DTD DocBook XML V4.5//EN"\n'
            '  "http://www.oasis-open.org/docbook/xml/4.5/docbookx.dtd">\n'
            '<refentry id="%(id)s">\n'
            '<refmeta><refentrytitle>%(title)s</refentrytitle>'
            '<manvolnum>3</manvolnum><refmiscinfo>netring</refmiscinfo></refmeta>\n'
            '<refnamediv><refname>%(title)s</refname><refpurpose></refpurpose></refnamediv>\n'
            '<refsect1 id="%(id)s.body">\n%(body)s\n</refsect1>\n'
            '</refentry>\n') % {'id': ident, 'title': escape(title), 'body': db}


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding='utf-8') as f:
        text = f.read()
    with open(sys.argv[2], 'w', encoding='utf-8') as f:
        f.write(convert(text, sys.argv[3]))


if __name__ == '__main__':
    main()
